package io.multiconnect.bench;

import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.MasterStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Master leader failover: {@code kill -9} of the Raft leader, then an admin write (a settings
 * update, as {@code mcctl settings set} sends it) from a new admin client with the product's
 * defaults, repeated until one is accepted; the figure is the time from the kill to that answer.
 * The killed master is started again and every master must follow the leader between trials.
 */
final class LeaderFailover {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderFailover.class);

  private LeaderFailover() {}

  static Figure run(Rig rig, int trials, double targetP99Ms) throws IOException {
    List<Double> times = new ArrayList<>();
    int refused = 0;
    int unfinished = 0;
    for (int t = 0; t < trials; t++) {
      ClusterStatus s = rig.awaitSteady(Duration.ofSeconds(90), LeaderFailover::allFollow);
      String leader = s.getLeader().getLeaderId();
      try (AdminClient client =
          new AdminClient(
              rig.lab.masterApis(),
              rig.lab.adminTls(),
              AdminClient.DEFAULT_DEADLINE,
              AdminClient.DEFAULT_ATTEMPTS,
              AdminClient.DEFAULT_BACKOFF,
              rig.authorization)) {
        long killed = System.nanoTime();
        rig.lab.kill(leader);
        long deadline = killed + Duration.ofSeconds(60).toNanos();
        long accepted = 0;
        while (accepted == 0 && System.nanoTime() < deadline) {
          try {
            client.updateSettings(0, 0);
            accepted = System.nanoTime();
          } catch (AdminException e) {
            refused++;
          }
        }
        if (accepted == 0) {
          unfinished++;
          LOG.warn("trial {}: no admin write accepted within 60 s of killing {}", t, leader);
        } else {
          double ms = Rig.ms(accepted - killed);
          times.add(ms);
          LOG.info("trial {}: killed leader {}, admin write accepted after {} ms", t, leader, ms);
        }
      }
      rig.lab.start(leader);
    }
    return Figure.p99AtMost(
        "master leader failover",
        Distribution.of(times),
        targetP99Ms,
        unfinished == 0,
        Map.of(
            "calls that gave up (client retried)", refused, "trials without recovery", unfinished));
  }

  /** Every master is up and is the leader or a follower. */
  static boolean allFollow(ClusterStatus s) {
    return s.getMastersCount() == 3
        && s.getMastersList().stream()
            .map(MasterStatus::getRole)
            .allMatch(r -> r.equals("leader") || r.equals("follower"));
  }
}
