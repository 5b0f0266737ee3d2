package io.multiconnect.common.clock;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A monotonic nanosecond clock that moves only when a test advances it (shared by every module's
 * unit tests).
 */
public final class FakeClock implements LongSupplier {
  private long nowNanos;

  public FakeClock(long startNanos) {
    this.nowNanos = startNanos;
  }

  @Override
  public long getAsLong() {
    return nowNanos;
  }

  public void advance(Duration d) {
    nowNanos += d.toNanos();
  }

  public void set(long nanos) {
    nowNanos = nanos;
  }
}
