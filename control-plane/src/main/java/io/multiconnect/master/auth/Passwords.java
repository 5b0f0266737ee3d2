package io.multiconnect.master.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.multiconnect.master.core.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Password hashing (bcrypt) and the On-Premises API's password policy. */
public final class Passwords {
  /** bcrypt cost: about 50-100 ms per hash on this machine kind. */
  static final int COST = 10;

  public static final String DEFAULT_ADMIN_PASSWORD = "secret";

  private Passwords() {}

  public static String hash(String password) {
    return BCrypt.withDefaults().hashToString(COST, password.toCharArray());
  }

  public static boolean matches(String password, String hash) {
    return BCrypt.verifyer()
        .verify(password.getBytes(StandardCharsets.UTF_8), hash.getBytes(StandardCharsets.UTF_8))
        .verified;
  }

  /**
   * 8-64 characters with a digit, an upper-case, a lower-case and a special character; a refusal
   * names {@code field}.
   */
  public static Optional<Rejection> checkPolicy(String field, String password) {
    boolean ok =
        password.length() >= 8
            && password.length() <= 64
            && password.chars().anyMatch(Character::isDigit)
            && password.chars().anyMatch(Character::isUpperCase)
            && password.chars().anyMatch(Character::isLowerCase)
            && password.chars().anyMatch(ch -> !Character.isLetterOrDigit(ch));
    return ok
        ? Optional.empty()
        : Optional.of(
            new Rejection(
                field,
                "must be 8-64 characters with a digit, an upper-case letter, a lower-case letter"
                    + " and a special character"));
  }
}
