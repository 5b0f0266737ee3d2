package io.multiconnect.common.auth;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token verification against one public key set, remembering the tokens it verified: a client sends
 * the same token with every request, and parsing the key set and checking an ES256 signature each
 * time cost a webapp most of its CPU. A remembered token is still refused once it expired; a new
 * key set (a rotation) needs a new instance, so nothing verified under the old set is taken.
 * Whether a token was revoked is not remembered: {@link ApiAccess} decides that on every request.
 * Thread-safe.
 */
public final class VerifiedTokens {
  /** The most tokens remembered; past it, the memory starts again from nothing. */
  public static final int MAX_REMEMBERED = 10_000;

  private final String publicKeys;
  private final int maxRemembered;
  private final Map<String, Tokens.Token> verified = new ConcurrentHashMap<>();

  /** For tokens of {@code publicKeys}, a JWK set as {@link Tokens#publicKeys} makes it. */
  public VerifiedTokens(String publicKeys) {
    this(publicKeys, MAX_REMEMBERED);
  }

  VerifiedTokens(String publicKeys, int maxRemembered) {
    this.publicKeys = publicKeys;
    this.maxRemembered = maxRemembered;
  }

  /** The key set this instance verifies against. */
  public String publicKeys() {
    return publicKeys;
  }

  /** {@link Tokens#verify} with {@link #publicKeys}, at most once per token. */
  public Optional<Tokens.Token> verify(String token, Instant now) {
    Tokens.Token known = verified.get(token);
    if (known != null) {
      // Every other check of Tokens.verify holds at any later time, once it held.
      return now.isBefore(known.expiresAt()) ? Optional.of(known) : Optional.empty();
    }
    Optional<Tokens.Token> checked = Tokens.verify(publicKeys, token, now);
    checked.ifPresent(
        t -> {
          if (verified.size() >= maxRemembered) {
            verified.clear();
          }
          verified.put(token, t);
        });
    return checked;
  }

  /** How many tokens it remembers now. */
  int remembered() {
    return verified.size();
  }
}
