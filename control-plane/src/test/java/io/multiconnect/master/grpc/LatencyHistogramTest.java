package io.multiconnect.master.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void everyDurationFallsInTheBucketWhoseBoundsHoldIt() {
    for (long nanos = 1; nanos < 200_000_000_000L; nanos = nanos * 11 / 10 + 1) {
      int i = LatencyHistogram.bucket(nanos);
      if (i < LatencyHistogram.BOUNDS) {
        assertTrue(nanos <= LatencyHistogram.upperBoundNanos(i) * (1 + 1e-9), nanos + " ns");
      }
      if (i > 0) {
        assertTrue(nanos > LatencyHistogram.upperBoundNanos(i - 1), nanos + " ns");
      }
    }
  }

  @Test
  void boundsAreAtMostNinePercentApartAndTheLastBucketTakesTheRest() {
    for (int i = 1; i < LatencyHistogram.BOUNDS; i++) {
      double ratio = LatencyHistogram.upperBoundNanos(i) / LatencyHistogram.upperBoundNanos(i - 1);
      assertEquals(Math.pow(2, 1.0 / 8), ratio, 1e-9);
    }
    assertEquals(0, LatencyHistogram.bucket(0));
    assertEquals(0, LatencyHistogram.bucket(50_000));
    assertEquals(1, LatencyHistogram.bucket(50_001));
    assertEquals(LatencyHistogram.BOUNDS, LatencyHistogram.bucket(Long.MAX_VALUE));
  }

  @Test
  void theWireFormCarriesEveryCountAndOneBoundFewer() {
    LatencyHistogram h = new LatencyHistogram();
    h.record(40_000); // 0.04 ms
    h.record(1_000_000); // 1 ms
    h.record(1_000_000);
    h.record(Long.MAX_VALUE);
    io.multiconnect.proto.v1.LatencyHistogram p = h.toProto();
    assertEquals(p.getUpperBoundsMsCount() + 1, p.getCountsCount());
    assertEquals(1, p.getCounts(0));
    int oneMs = LatencyHistogram.bucket(1_000_000);
    assertEquals(2, p.getCounts(oneMs));
    assertTrue(p.getUpperBoundsMs(oneMs) >= 1.0 && p.getUpperBoundsMs(oneMs - 1) < 1.0);
    assertEquals(1, p.getCounts(p.getCountsCount() - 1));
    assertEquals(4, p.getCountsList().stream().mapToLong(Long::longValue).sum());
  }
}
