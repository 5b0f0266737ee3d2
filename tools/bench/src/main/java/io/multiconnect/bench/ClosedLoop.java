package io.multiconnect.bench;

import io.multiconnect.common.node.DaemonThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * {@code threads} callers, each calling again as soon as its call returns, for a fixed time after a
 * warm-up. Records every measured call's latency and the second it ended in.
 */
final class ClosedLoop {

  /** What the callers measured (latencies in ms; calls per whole second of the run). */
  record Result(double[] latenciesMs, int failed, double[] perSecond, double seconds) {
    double rate() {
      return latenciesMs.length / seconds;
    }
  }

  private ClosedLoop() {}

  /** Waits for every thread to end. */
  static void joinAll(List<Thread> threads) {
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /**
   * @param call makes one call; its argument is a number unique in the run, its result whether the
   *     call succeeded
   */
  static Result run(int threads, double warmupSeconds, double seconds, IntPredicate call) {
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmupSeconds * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    int buckets = (int) Math.ceil(seconds);
    List<long[]> samples = new ArrayList<>();
    int[] failures = new int[threads];
    int[] taken = new int[threads];
    long[][] counts = new long[threads][buckets];
    List<Thread> all = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int me = i;
      long[] mine = new long[1 << 20];
      samples.add(mine);
      Thread t =
          DaemonThreads.thread(
              "loop-" + i,
              () -> {
                int n = 0;
                int seq = me;
                while (true) {
                  long sent = System.nanoTime();
                  if (sent >= end) {
                    break;
                  }
                  boolean ok = call.test(seq);
                  seq += threads;
                  long done = System.nanoTime();
                  if (sent < measureFrom) {
                    continue;
                  }
                  if (!ok) {
                    failures[me]++;
                  } else if (n < mine.length) {
                    mine[n++] = done - sent;
                    int b = (int) ((done - measureFrom) / 1_000_000_000L);
                    if (b < buckets) {
                      counts[me][b]++;
                    }
                  }
                }
                taken[me] = n; // read after join
              });
      all.add(t);
      t.start();
    }
    joinAll(all);
    List<Double> lat = new ArrayList<>();
    int failed = 0;
    for (int i = 0; i < threads; i++) {
      long[] mine = samples.get(i);
      int n = taken[i];
      for (int k = 0; k < n; k++) {
        lat.add(mine[k] / 1e6);
      }
      failed += failures[i];
    }
    double[] perSecond = new double[buckets];
    for (int b = 0; b < buckets; b++) {
      for (int i = 0; i < threads; i++) {
        perSecond[b] += counts[i][b];
      }
    }
    return new Result(
        lat.stream().mapToDouble(Double::doubleValue).toArray(), failed, perSecond, seconds);
  }
}
