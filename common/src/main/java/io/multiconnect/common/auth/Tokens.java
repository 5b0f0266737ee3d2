package io.multiconnect.common.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * API tokens: {@code base64url(username|expiresAtUnixSeconds).base64url(HMAC-SHA256)}, signed with
 * the cluster's replicated key. Masters issue them at login; webapps verify them locally, so a
 * request needs no round trip to a master.
 */
public final class Tokens {
  public static final Duration DEFAULT_LIFETIME = Duration.ofDays(7);
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private Tokens() {}

  /** A new random signing key, base64. */
  public static String newKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  public static String issue(String key, String username, Instant expiresAt) {
    String payload =
        B64.encodeToString(
            (username + "|" + expiresAt.getEpochSecond()).getBytes(StandardCharsets.UTF_8));
    return payload + "." + B64.encodeToString(mac(key, payload));
  }

  /** The username, if the token is well-formed, correctly signed and not expired at {@code now}. */
  public static Optional<String> verify(String key, String token, Instant now) {
    int dot = token.indexOf('.');
    if (key.isEmpty() || dot <= 0) {
      return Optional.empty();
    }
    String payload = token.substring(0, dot);
    try {
      byte[] given = B64D.decode(token.substring(dot + 1));
      if (!MessageDigest.isEqual(given, mac(key, payload))) {
        return Optional.empty();
      }
      String[] parts = new String(B64D.decode(payload), StandardCharsets.UTF_8).split("\\|");
      if (parts.length != 2 || Long.parseLong(parts[1]) <= now.getEpochSecond()) {
        return Optional.empty();
      }
      return Optional.of(parts[0]);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static byte[] mac(String key, String payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(key), "HmacSHA256"));
      return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
