package io.multiconnect.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Summary of a sample: count, minimum, p50, p90, p99, maximum and mean. Percentiles are
 * nearest-rank (the smallest value with at least p% of the sample at or below it), so every figure
 * is a value that was measured.
 */
public record Distribution(
    int n, double min, double p50, double p90, double p99, double max, double mean) {

  public static Distribution of(Collection<Double> values) {
    return of(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  public static Distribution of(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    double[] v = values.clone();
    Arrays.sort(v);
    return new Distribution(
        v.length,
        v[0],
        rank(v, 50),
        rank(v, 90),
        rank(v, 99),
        v[v.length - 1],
        Arrays.stream(v).average().orElseThrow());
  }

  /**
   * The distribution of durations counted in buckets ({@code LatencyHistogram} in admin.proto):
   * each duration counts as its bucket's upper bound, so every figure errs high by at most one
   * bucket's width; one in the last, unbounded bucket counts as infinite.
   */
  public static Distribution ofBuckets(List<Double> upperBounds, long[] counts) {
    long n = Arrays.stream(counts).sum();
    if (n == 0) {
      throw new IllegalArgumentException("no values");
    }
    double min = Double.NaN;
    double max = 0;
    double sum = 0;
    double[] at = new double[3];
    double[] percents = {50, 90, 99};
    long seen = 0;
    int next = 0;
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        continue;
      }
      double bound = i < upperBounds.size() ? upperBounds.get(i) : Double.POSITIVE_INFINITY;
      min = Double.isNaN(min) ? bound : min;
      max = bound;
      sum += bound * counts[i];
      seen += counts[i];
      while (next < percents.length && seen >= Math.ceil(percents[next] / 100.0 * n)) {
        at[next++] = bound;
      }
    }
    return new Distribution((int) n, min, at[0], at[1], at[2], max, sum / n);
  }

  private static double rank(double[] sorted, double percent) {
    int r = (int) Math.ceil(percent / 100.0 * sorted.length);
    return sorted[Math.max(0, r - 1)];
  }

  /**
   * {@code n=30 p50=4.12 p90=4.80 p99=5.01 max=5.01} (values as measured, in the caller's unit).
   */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "n=%d min=%s p50=%s p90=%s p99=%s max=%s mean=%s",
        n,
        fmt(min),
        fmt(p50),
        fmt(p90),
        fmt(p99),
        fmt(max),
        fmt(mean));
  }

  static String fmt(double v) {
    return Math.abs(v) >= 100
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }
}
