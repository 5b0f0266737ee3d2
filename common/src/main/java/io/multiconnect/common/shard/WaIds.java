package io.multiconnect.common.shard;

import java.util.Optional;

/**
 * A recipient as the On-Premises API's {@code to} takes it: a WhatsApp id ({@code 15551234567}) or
 * a phone number written with its country code, a leading {@code +}, spaces, dashes, dots or
 * parentheses ({@code +1 (555) 123-4567}). Routing and the upstream use the digits alone, so every
 * spelling of one number reaches the same shard.
 */
public final class WaIds {
  private WaIds() {}

  /** The fewest and most digits of a recipient. */
  public static final int MIN_DIGITS = 5;

  public static final int MAX_DIGITS = 20;

  /** The most numbers one contacts check (POST /v1/contacts) takes. */
  public static final int MAX_PER_CHECK = 1_000;

  /** The digits of {@code to}, or empty when it is not a recipient. */
  public static Optional<String> normalize(String to) {
    StringBuilder digits = new StringBuilder(to.length());
    for (int i = 0; i < to.length(); i++) {
      char c = to.charAt(i);
      if (c >= '0' && c <= '9') {
        digits.append(c);
      } else if (!(c == '+' && digits.isEmpty() && i == to.indexOf('+'))
          && " -.()".indexOf(c) < 0) {
        return Optional.empty();
      }
    }
    return digits.length() >= MIN_DIGITS && digits.length() <= MAX_DIGITS
        ? Optional.of(digits.toString())
        : Optional.empty();
  }
}
