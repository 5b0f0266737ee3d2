package io.multiconnect.dataplane.coreapp;

import java.time.Duration;
import java.util.Optional;

/**
 * Notices when the coreapp's monotonic clock may not have measured real time: {@code
 * System.nanoTime} can stand still while a virtual machine is paused or a host suspended, and on
 * resume a lease counted on it looks valid although real time ran on (and the masters gave the
 * shard away). Compared at every loop tick, pure: between two ticks the monotonic clock and the
 * wall clock must advance alike (within {@code drift}), and the tick must not come more than {@code
 * lateness} after it was due (a long pause: the monotonic clock measured it, so the lease is still
 * right, but the coreapp asks again rather than act on a view that old; the bound is larger than
 * the scheduling hiccups of a loaded host). A wall step (NTP) looks like a jump and is treated the
 * same: the coreapp only asks again.
 *
 * <p>Not thread-safe: the loop owns it.
 */
final class ClockJumps {
  private final long driftNanos;
  private final long latenessNanos;
  private boolean started;
  private long lastMonoNanos;
  private long lastWallNanos;

  ClockJumps(Duration drift, Duration lateness) {
    this.driftNanos = drift.toNanos();
    this.latenessNanos = lateness.toNanos();
  }

  /**
   * Records one tick, due {@code dueAfterNanos} after the previous one; returns what jumped since
   * that one, if anything did.
   */
  Optional<String> tick(long monoNanos, long wallNanos, long dueAfterNanos) {
    long mono = monoNanos - lastMonoNanos;
    long wall = wallNanos - lastWallNanos;
    boolean first = !started;
    started = true;
    lastMonoNanos = monoNanos;
    lastWallNanos = wallNanos;
    if (first) {
      return Optional.empty();
    }
    if (Math.abs(wall - mono) > driftNanos) {
      return Optional.of(
          String.format(
              "the wall clock moved %d ms while the monotonic clock moved %d ms",
              wall / 1_000_000, mono / 1_000_000));
    }
    if (mono - dueAfterNanos > latenessNanos) {
      return Optional.of(
          String.format(
              "the loop ran %d ms late (due after %d ms, ran after %d ms)",
              (mono - dueAfterNanos) / 1_000_000, dueAfterNanos / 1_000_000, mono / 1_000_000));
    }
    return Optional.empty();
  }
}
