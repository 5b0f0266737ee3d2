package io.multiconnect.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DistributionTest {

  @Test
  void percentilesAreNearestRankValuesOfTheSample() {
    // 1..100 in a shuffled order: p50 is the 50th value, p90 the 90th, p99 the 99th.
    double[] v = IntStream.rangeClosed(1, 100).map(i -> (i * 37) % 101).asDoubleStream().toArray();
    Distribution d = Distribution.of(v);
    assertEquals(100, d.n());
    assertEquals(1, d.min());
    assertEquals(50, d.p50());
    assertEquals(90, d.p90());
    assertEquals(99, d.p99());
    assertEquals(100, d.max());
    assertEquals(50.5, d.mean(), 1e-9);
  }

  @Test
  void bucketedDurationsCountAsTheirUpperBound() {
    // 95 at most 1 ms, 4 at most 2 ms, 1 above every bound.
    Distribution d = Distribution.ofBuckets(List.of(1.0, 2.0, 4.0), new long[] {95, 4, 0, 1});
    assertEquals(100, d.n());
    assertEquals(1, d.min());
    assertEquals(1, d.p50());
    assertEquals(1, d.p90());
    assertEquals(2, d.p99());
    assertEquals(Double.POSITIVE_INFINITY, d.max());
    Distribution tail = Distribution.ofBuckets(List.of(1.0, 2.0, 4.0), new long[] {0, 98, 2, 0});
    assertEquals(2, tail.min());
    assertEquals(4, tail.p99());
    assertEquals(4, tail.max());
    assertEquals((98 * 2 + 2 * 4) / 100.0, tail.mean(), 1e-9);
    assertThrows(
        IllegalArgumentException.class,
        () -> Distribution.ofBuckets(List.of(1.0), new long[] {0, 0}));
  }

  @Test
  void aSmallSampleHasItsMaximumAsP99() {
    Distribution d = Distribution.of(List.of(3.0, 1.0, 2.0));
    assertEquals(2, d.p50());
    assertEquals(3, d.p90());
    assertEquals(3, d.p99());
  }

  @Test
  void anEmptySampleIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Distribution.of(new double[0]));
  }
}
