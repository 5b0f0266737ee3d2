package io.multiconnect.master.core;

import java.time.Instant;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * An API user. {@code passwordHash} is a bcrypt hash (computed at the edge, never here); a user who
 * must change the password gets no token until it does. {@code credentialsIndex} is the Raft index
 * of the entry that last set the password: every token carries the index it was issued under, and
 * one with another index is revoked. {@code revokedTokens} are the ids of tokens revoked one by one
 * (logouts), each with its expiry, kept until then.
 */
public record User(
    String username,
    String passwordHash,
    boolean mustChangePassword,
    long credentialsIndex,
    NavigableMap<String, Instant> revokedTokens) {

  /**
   * Revoked tokens kept per user; a logout beyond them revokes every token of the user instead (the
   * state stays bounded, and the mistake is on the safe side).
   */
  public static final int MAX_REVOKED_TOKENS = 100;

  public User {
    revokedTokens = Collections.unmodifiableNavigableMap(new TreeMap<>(revokedTokens));
  }

  /** A user whose password was set by the entry at {@code index}, with no token revoked. */
  public static User created(
      String username, String passwordHash, boolean mustChangePassword, long index) {
    return new User(username, passwordHash, mustChangePassword, index, new TreeMap<>());
  }

  /**
   * This user after a logout at {@code at} of token {@code tokenId}, which expires at {@code
   * expiresAt}; a change at Raft index {@code index}.
   */
  User revoke(String tokenId, Instant expiresAt, Instant at, long index) {
    TreeMap<String, Instant> kept = new TreeMap<>(revokedTokens);
    kept.values().removeIf(expiry -> !expiry.isAfter(at));
    if (expiresAt.isAfter(at)) {
      kept.put(tokenId, expiresAt);
    }
    if (kept.size() > MAX_REVOKED_TOKENS) {
      return created(username, passwordHash, mustChangePassword, index);
    }
    return new User(username, passwordHash, mustChangePassword, credentialsIndex, kept);
  }

  /** Without the hash, for logs. */
  @Override
  public String toString() {
    return "User["
        + username
        + ", credentials of entry "
        + credentialsIndex
        + ", "
        + revokedTokens.size()
        + " revoked tokens]";
  }
}
