package io.multiconnect.master.grpc;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;

/**
 * Durations counted in log-spaced buckets, lock-free: the first holds up to 50 µs, each next bound
 * is 2^(1/8) (about 9 %) above the previous one, and the last holds everything above 2^21 times the
 * first (about 105 s). A reader takes the counts twice and subtracts to get an interval's
 * distribution; a percentile read from them is the upper bound of its bucket, so it errs high by at
 * most 9 %.
 */
public final class LatencyHistogram {
  static final long FIRST_BOUND_NANOS = 50_000;
  static final int PER_DOUBLING = 8;

  /** Bounded buckets; one more bucket, unbounded, follows them. */
  static final int BOUNDS = 21 * PER_DOUBLING + 1;

  private final AtomicLongArray counts = new AtomicLongArray(BOUNDS + 1);
  private final LongConsumer also;

  public LatencyHistogram() {
    this(nanos -> {});
  }

  /** Also hands every duration to {@code also} (the master's metrics). */
  public LatencyHistogram(LongConsumer also) {
    this.also = also;
  }

  public void record(long nanos) {
    counts.incrementAndGet(bucket(nanos));
    also.accept(nanos);
  }

  static int bucket(long nanos) {
    if (nanos <= FIRST_BOUND_NANOS) {
      return 0;
    }
    double doublings = Math.log((double) nanos / FIRST_BOUND_NANOS) / Math.log(2);
    int i = (int) Math.ceil(doublings * PER_DOUBLING - 1e-9);
    return Math.min(i, BOUNDS);
  }

  /** The inclusive upper bound of bucket {@code i} ({@code i < BOUNDS}), in nanoseconds. */
  static double upperBoundNanos(int i) {
    return FIRST_BOUND_NANOS * Math.pow(2, (double) i / PER_DOUBLING);
  }

  /** As the wire carries it ({@code LatencyHistogram} in admin.proto). */
  public io.multiconnect.proto.v1.LatencyHistogram toProto() {
    io.multiconnect.proto.v1.LatencyHistogram.Builder b =
        io.multiconnect.proto.v1.LatencyHistogram.newBuilder();
    for (int i = 0; i < BOUNDS; i++) {
      b.addUpperBoundsMs(upperBoundNanos(i) / 1e6);
    }
    for (int i = 0; i <= BOUNDS; i++) {
      b.addCounts(counts.get(i));
    }
    return b.build();
  }
}
