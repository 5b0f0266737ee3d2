package io.multiconnect.dataplane.coreapp;

import java.time.Duration;

/**
 * From which moment the upstream surely counts none of this coreapp's sessions as open: a revoked
 * epoch is confirmed released to the masters only then, or once the upstream confirmed the close of
 * the last session opened. The upstream drops a session whose holder has been silent for its
 * silence timeout, so every session this coreapp stopped hearing from without a confirmed close is
 * quiet that long after it went silent. At start, sessions a previous run of this coreapp left open
 * go quiet at the latest one silence timeout later.
 *
 * <p>Pure: times are the coreapp's monotonic nanoseconds. Owned by the coreapp's loop; not
 * thread-safe.
 */
final class QuietTime {
  /**
   * The quiet moment when a session was opened, which bounds every earlier session, and the
   * session's place among those opened.
   */
  record Mark(long quietBeforeNanos, long opened) {}

  private final long silenceNanos;
  private long quietAtNanos;
  private long opened;

  QuietTime(Duration upstreamSilence, long startNanos) {
    this.silenceNanos = upstreamSilence.toNanos();
    this.quietAtNanos = startNanos + silenceNanos;
  }

  /** A session is being opened now. */
  Mark opening() {
    return new Mark(quietAtNanos, ++opened);
  }

  /**
   * A session stopped being heard from at {@code nowNanos} (closed by this coreapp, or its stream
   * broke) without the upstream confirming the close: it may count it open one silence longer.
   */
  void unconfirmed(long nowNanos) {
    quietAtNanos = Math.max(quietAtNanos, nowNanos + silenceNanos);
  }

  /**
   * The upstream confirmed the close of the session opened at {@code mark}. If no session was
   * opened since, only the sessions before it remain, and they are quiet by the mark's bound.
   * Returns whether it was the last session opened (releases waiting for quiet may go now).
   */
  boolean closeConfirmed(Mark mark) {
    if (mark.opened() != opened) {
      return false;
    }
    quietAtNanos = mark.quietBeforeNanos();
    return true;
  }

  long quietAtNanos() {
    return quietAtNanos;
  }

  /** How long from {@code nowNanos} until quiet; zero or less: quiet now. */
  long waitNanos(long nowNanos) {
    return quietAtNanos - nowNanos;
  }
}
