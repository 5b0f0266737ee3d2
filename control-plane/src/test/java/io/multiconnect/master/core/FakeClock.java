package io.multiconnect.master.core;

import java.time.Duration;
import java.util.function.LongSupplier;

/** A monotonic nanosecond clock that moves only when a test advances it. */
final class FakeClock implements LongSupplier {
  private long nowNanos;

  FakeClock(long startNanos) {
    this.nowNanos = startNanos;
  }

  @Override
  public long getAsLong() {
    return nowNanos;
  }

  void advance(Duration d) {
    nowNanos += d.toNanos();
  }

  void set(long nanos) {
    nowNanos = nanos;
  }
}
