package io.multiconnect.common.clock;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The clock a node decides with: a monotonic reading for every interval (heartbeats, leases,
 * failure detection) and a wall clock for token expiry. Normally these are the machine's {@link
 * System#nanoTime()} and system time. The chaos harness can {@link #skew} them (through {@link
 * ClockControl}): the monotonic reading then runs at {@code 1 + rate} times the machine's, and the
 * wall clock is stepped by an offset. That shows the safety argument's two clock assumptions at
 * work: rates may differ within a bound (docs/safety.md, assumption 1), and no decision reads wall
 * time.
 *
 * <p>The monotonic reading stays continuous and increasing across a change of rate: each change
 * starts a new segment at the reading of that moment.
 */
public final class NodeClock {
  /** The largest rate error {@link #skew} accepts, either way (the safety bound is 1/9). */
  public static final double MAX_RATE = 0.5;

  /**
   * From machine time {@code machineAnchor} on, the reading is {@code nodeAnchor + elapsed * (1 +
   * rate)}.
   */
  private record Segment(long machineAnchor, long nodeAnchor, double rate, Duration wallOffset) {
    long reading(long machineNanos) {
      long elapsed = machineNanos - machineAnchor;
      return nodeAnchor + (rate == 0 ? elapsed : Math.round(elapsed * (1 + rate)));
    }
  }

  private final LongSupplier machineNanos;
  private final Supplier<Instant> machineWall;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile Segment segment;

  /** The machine's clocks, unskewed until {@link #skew} is called. */
  public static NodeClock system() {
    return new NodeClock(System::nanoTime, Instant::now);
  }

  public NodeClock(LongSupplier machineNanos, Supplier<Instant> machineWall) {
    this.machineNanos = machineNanos;
    this.machineWall = machineWall;
    long now = machineNanos.getAsLong();
    this.segment = new Segment(now, now, 0, Duration.ZERO);
  }

  /** The node's monotonic reading, in nanoseconds. */
  public long nanoTime() {
    return segment.reading(machineNanos.getAsLong());
  }

  /** The node's wall clock. */
  public Instant now() {
    return machineWall.get().plus(segment.wallOffset());
  }

  /**
   * The machine's monotonic time at which this clock reads {@code nodeNanos}, if the rate stays as
   * it is now. The lease journal records intervals in machine time, comparable across processes.
   */
  public long machineNanosAt(long nodeNanos) {
    Segment s = segment;
    long delta = nodeNanos - s.nodeAnchor();
    return s.machineAnchor() + (s.rate() == 0 ? delta : Math.round(delta / (1 + s.rate())));
  }

  /**
   * From now on the monotonic reading runs at {@code 1 + rate} times the machine's, and the wall
   * clock reads the machine's plus {@code wallOffset}; {@code skew(0, ZERO)} restores the rate and
   * the wall clock (the monotonic reading keeps what it gained or lost). Listeners run afterwards,
   * on the caller's thread.
   */
  public void skew(double rate, Duration wallOffset) {
    if (!(Math.abs(rate) <= MAX_RATE)) {
      throw new IllegalArgumentException("rate: must be within ±" + MAX_RATE + ", got " + rate);
    }
    synchronized (this) {
      long machine = machineNanos.getAsLong();
      segment = new Segment(machine, segment.reading(machine), rate, wallOffset);
    }
    listeners.forEach(Runnable::run);
  }

  public double rate() {
    return segment.rate();
  }

  public Duration wallOffset() {
    return segment.wallOffset();
  }

  /** Runs {@code listener} after every {@link #skew}. */
  public void onSkew(Runnable listener) {
    listeners.add(listener);
  }
}
