package io.multiconnect.bench;

import io.multiconnect.proto.v1.ClusterStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Planned moves of shard 0 ({@code mcctl primary move}, or {@code mcctl coreapp drain} of its
 * primary) under load: four closed loops send to a shard-0 recipient through the webapp from 300 ms
 * before the command until 300 ms after the new primary is in the masters' status. The figure is
 * the pause: the longest time in that window in which no message was accepted. Every message that
 * was not answered 201 counts as failed.
 *
 * <p>The first moves on a fresh cluster run cold code, and get faster over the first hundred or so
 * as the JIT compilers of the cluster's JVMs catch up (docs/benchmarks.md). {@code warmup} trials
 * run first and are reported apart, in the figure's counts, so the distribution is the steady state
 * and the cold start stays visible.
 */
final class PlannedMove {

  enum Kind {
    MOVE,
    DRAIN
  }

  private PlannedMove() {}

  static Figure run(Rig rig, Kind kind, int warmup, int trials, double targetP99Ms) {
    List<Double> pauses = new ArrayList<>();
    List<Long> warmupPauses = new ArrayList<>();
    int failed = 0;
    int messages = 0;
    List<String> failures = new ArrayList<>();
    for (int t = 0; t < warmup + trials; t++) {
      ClusterStatus s = rig.awaitSteady(Duration.ofSeconds(60), x -> Rig.spare(x).isPresent());
      String from = Rig.primary(s, 0).orElseThrow().getCoreappId();
      String to = Rig.spare(s).orElseThrow();
      String recipient = Rig.recipient(0, s.getShardMap().getShardCount(), t % 10);
      try (Prober prober = new Prober(rig, recipient).start(4)) {
        Rig.pause(300);
        long issued = System.nanoTime();
        if (kind == Kind.MOVE) {
          rig.admin.movePrimary(0, to);
        } else {
          rig.admin.setDrained(from, true);
        }
        rig.awaitSteady(
            Duration.ofSeconds(30),
            x -> Rig.primary(x, 0).filter(a -> !a.getCoreappId().equals(from)).isPresent());
        Rig.pause(300);
        List<Prober.Outcome> all = prober.stop();
        messages += all.size();
        List<Prober.Outcome> notOk = all.stream().filter(o -> !o.ok()).toList();
        failed += notOk.size();
        for (Prober.Outcome o : notOk) {
          // Which trial, and what the answer was (0: no HTTP answer), to tell causes apart.
          failures.add((t < warmup ? "warm-up " : "trial ") + (t + 1) + ": " + o.status());
        }
        double pause = Rig.ms(longestGap(all, issued - Duration.ofMillis(300).toNanos()));
        if (t < warmup) {
          warmupPauses.add(Math.round(pause));
        } else {
          pauses.add(pause);
        }
      }
      if (kind == Kind.DRAIN) {
        rig.admin.setDrained(from, false);
      }
    }
    Distribution d = Distribution.of(pauses);
    return new Figure(
        kind == Kind.MOVE ? "planned move, pause of the shard" : "drain, pause of the shard",
        "ms",
        d,
        "p99 <= " + (long) targetP99Ms + " ms, 0 failed",
        d.p99() <= targetP99Ms && failed == 0,
        Map.of(
            "messages",
            messages,
            "failed",
            failed,
            "failures",
            failures,
            "first warm-up pauses ms",
            warmupPauses.subList(0, Math.min(10, warmupPauses.size())),
            "later warm-up pauses ms",
            warmupPauses.size() <= 10
                ? "-"
                : Distribution.of(
                        warmupPauses.subList(10, warmupPauses.size()).stream()
                            .map(Long::doubleValue)
                            .toList())
                    .toString()));
  }

  /** The longest time after {@code fromNanos} between two accepted messages' answers. */
  static long longestGap(List<Prober.Outcome> outcomes, long fromNanos) {
    long[] done =
        outcomes.stream()
            .filter(Prober.Outcome::ok)
            .mapToLong(Prober.Outcome::doneNanos)
            .filter(n -> n >= fromNanos)
            .sorted()
            .toArray();
    long longest = 0;
    for (int i = 1; i < done.length; i++) {
      longest = Math.max(longest, done[i] - done[i - 1]);
    }
    return longest;
  }
}
