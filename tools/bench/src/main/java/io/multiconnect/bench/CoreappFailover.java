package io.multiconnect.bench;

import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.ShardAssignment;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unplanned coreapp failover: {@code kill -9} of the primary of shard 0, then messages to a shard-0
 * recipient through the webapp from four closed loops; the figure is the time from the kill to the
 * first message answered 201 (necessarily by the new primary: the old one is dead, and no message
 * is in flight at the kill). The killed coreapp is started again and the cluster settles between
 * trials; the next kill waits until the restarted coreapp, the spare to be promoted, has run for
 * {@link #SPARE_AGE}.
 */
final class CoreappFailover {
  private static final Logger LOG = LoggerFactory.getLogger(CoreappFailover.class);

  /**
   * A spare started this recently is still starting up: loading classes, its JIT busy with its
   * start-up code. A real spare has usually run far longer, so the next kill waits until the
   * restarted coreapp, the spare the next trial promotes, has run this long.
   */
  static final Duration SPARE_AGE = Duration.ofSeconds(5);

  private CoreappFailover() {}

  static Figure run(Rig rig, String profile, int trials, double targetP99Ms) throws IOException {
    List<Double> times = new ArrayList<>();
    int failed = 0;
    int unfinished = 0;
    for (int t = 0; t < trials; t++) {
      ClusterStatus s = rig.awaitSteady(Duration.ofSeconds(90), x -> Rig.spare(x).isPresent());
      ShardAssignment victim = Rig.primary(s, 0).orElseThrow();
      String to = Rig.recipient(0, s.getShardMap().getShardCount(), t % 10);
      if (rig.send(to, null) != 201) {
        throw new IllegalStateException("shard 0 does not take messages before the kill");
      }
      long killed = System.nanoTime();
      rig.lab.kill(victim.getCoreappId());
      try (Prober prober = new Prober(rig, to).start(4)) {
        Optional<Prober.Outcome> first = Optional.empty();
        long deadline = killed + Duration.ofSeconds(60).toNanos();
        while (first.isEmpty() && System.nanoTime() < deadline) {
          Rig.pause(5);
          first = prober.firstOk();
        }
        List<Prober.Outcome> all = prober.stop();
        if (first.isEmpty()) {
          unfinished++;
          LOG.warn("trial {}: shard 0 took no message within 60 s of the kill", t);
        } else {
          long at = first.get().doneNanos();
          double ms = Rig.ms(at - killed);
          times.add(ms);
          failed += (int) all.stream().filter(o -> !o.ok() && o.doneNanos() <= at).count();
          LOG.info(
              "{} trial {}: killed {}, first message accepted after {} ms",
              profile,
              t,
              victim.getCoreappId(),
              ms);
        }
      }
      rig.lab.start(victim.getCoreappId());
      Rig.pause(SPARE_AGE.toMillis());
    }
    return Figure.p99AtMost(
        "coreapp failover, " + profile,
        Distribution.of(times),
        targetP99Ms,
        unfinished == 0,
        Map.of(
            "refused with 503 (retryable) before", failed, "trials without recovery", unfinished));
  }
}
