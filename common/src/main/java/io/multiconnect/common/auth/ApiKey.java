package io.multiconnect.common.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's API key ({@code WA_API_KEY}, 12-128 characters), as the On-Premises API takes it
 * on {@code /v1/health} and {@code /metrics}: {@code Authorization: Apikey <key>}. Compared in
 * constant time.
 */
public final class ApiKey {
  public static final String ENV = "WA_API_KEY";
  static final int MIN_LENGTH = 12;
  static final int MAX_LENGTH = 128;

  private final byte[] key;

  private ApiKey(String key) {
    this.key = key.getBytes(StandardCharsets.UTF_8);
  }

  /** The key {@code value} names, or empty when it is unset or empty. */
  public static Optional<ApiKey> of(String value) {
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    if (value.length() < MIN_LENGTH || value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          ENV + ": must be " + MIN_LENGTH + "-" + MAX_LENGTH + " characters");
    }
    return Optional.of(new ApiKey(value));
  }

  public static Optional<ApiKey> fromEnv(Map<String, String> env) {
    return of(env.get(ENV));
  }

  /** Whether an {@code Authorization} header carries an API key at all. */
  public static boolean offered(String authorization) {
    return authorization != null && authorization.startsWith("Apikey ");
  }

  /** Whether an {@code Authorization} header carries this key. */
  public boolean matches(String authorization) {
    return offered(authorization)
        && MessageDigest.isEqual(
            authorization.substring("Apikey ".length()).trim().getBytes(StandardCharsets.UTF_8),
            key);
  }
}
