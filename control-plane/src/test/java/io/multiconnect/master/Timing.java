package io.multiconnect.master;

import java.time.Duration;

/** Scales every integration-test timeout by {@code -Dtest.timing.factor} (default 1). */
final class Timing {
  private Timing() {}

  static Duration scaled(Duration d) {
    double factor = Double.parseDouble(System.getProperty("test.timing.factor", "1"));
    return Duration.ofNanos((long) (d.toNanos() * Math.max(1, factor)));
  }
}
