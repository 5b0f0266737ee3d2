package io.multiconnect.bench;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Commit to watchers: 100 simulated webapps, each with a connection and a Watch stream of its own,
 * spread over the three masters as webapps would be. Each round changes the heartbeat interval to a
 * value of its own (a settings change reaches every watcher as a delta) and records when each
 * watcher sees it (or, {@code leaderOnly}, with every watcher on the leader: what serving Watch
 * streams from the leader only would give). Figures, per round: from the admin client's
 * acknowledgement of the commit (just after the commit) to the last of the 100 watchers, the
 * target's figure; from the write's issue to the last watcher (the commit included); and per
 * watcher, from the acknowledgement to its event (negative when the event overtook it).
 *
 * <p>The masters' code is cold on a fresh cluster: over the first 100 commits the slowest watcher's
 * p99 was 43-56 ms, after 300 commits 18-24 ms (one run of 400 rounds, spread). {@code warmup}
 * rounds run first on each set of watchers; their figure is reported apart, in the counts, so the
 * distribution is the steady state and the cold start stays visible.
 */
final class WatchFanout {
  private static final int WATCHERS = 100;

  private WatchFanout() {}

  /** Returns the round figure and the per-watcher figure. */
  static List<Figure> run(
      Rig rig,
      int warmup,
      int rounds,
      long baseHeartbeatMs,
      double targetP99Ms,
      boolean leaderOnly) {
    List<ManagedChannel> channels = new ArrayList<>();
    List<Map<Long, Long>> seen = new ArrayList<>();
    List<String> masters =
        leaderOnly ? List.of(rig.status().getLeader().getLeaderAddress()) : rig.lab.masterApis();
    String where = leaderOnly ? " (all on the leader)" : "";
    try {
      for (int i = 0; i < WATCHERS; i++) {
        ManagedChannel ch =
            Endpoints.channel(
                masters.get(i % masters.size()),
                rig.lab.adminTls(),
                PeerCheck.role(NodeIdentity.Role.MASTER));
        channels.add(ch);
        Map<Long, Long> mine = new ConcurrentHashMap<>();
        seen.add(mine);
        ControlPlaneGrpc.newStub(ch)
            .watch(
                WatchRequest.newBuilder().setWatcherId("bench-" + i).build(),
                new StreamObserver<>() {
                  @Override
                  public void onNext(WatchEvent e) {
                    if (e.hasProgress()) {
                      return;
                    }
                    long now = System.nanoTime();
                    ClusterSettings s =
                        e.hasSnapshot()
                            ? e.getSnapshot().getSettings()
                            : e.getDelta().getSettings();
                    mine.putIfAbsent(s.getHeartbeatIntervalMs(), now);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
      }
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (seen.stream().anyMatch(Map::isEmpty) && System.nanoTime() < deadline) {
        Rig.pause(20);
      }
      List<Double> warmupAfterAck = new ArrayList<>();
      List<Double> allUpdated = new ArrayList<>();
      List<Double> allAfterAck = new ArrayList<>();
      List<Double> perWatcher = new ArrayList<>();
      int missing = 0;
      for (int r = 1; r <= warmup + rounds; r++) {
        long value = Rig.roundHeartbeatMs(baseHeartbeatMs, r);
        long issued = System.nanoTime();
        rig.admin.updateSettings(value, 0);
        long acked = System.nanoTime();
        long wait = acked + 2_000_000_000L;
        while (seen.stream().anyMatch(m -> !m.containsKey(value)) && System.nanoTime() < wait) {
          Rig.pause(1);
        }
        long last = 0;
        if (r <= warmup) {
          for (Map<Long, Long> m : seen) {
            last = Math.max(last, m.getOrDefault(value, wait));
          }
          warmupAfterAck.add(Rig.ms(last - acked));
          Rig.pause(20);
          continue;
        }
        for (Map<Long, Long> m : seen) {
          Long at = m.get(value);
          if (at == null) {
            missing++;
            continue;
          }
          last = Math.max(last, at);
          perWatcher.add(Rig.ms(at - acked));
        }
        allUpdated.add(Rig.ms(last - issued));
        allAfterAck.add(Rig.ms(last - acked));
        Rig.pause(20);
      }
      rig.admin.updateSettings(baseHeartbeatMs, 0);
      return List.of(
          Figure.p99AtMost(
              "commit acked -> all 100 watchers" + where,
              Distribution.of(allAfterAck),
              targetP99Ms,
              missing == 0,
              Map.of(
                  "rounds",
                  rounds,
                  "events missing after 2 s",
                  missing,
                  "warm-up rounds",
                  warmup,
                  "warm-up: ack -> all 100 watchers",
                  warmup == 0 ? "-" : Distribution.of(warmupAfterAck).toString())),
          new Figure(
              "write issued -> all 100 watchers" + where,
              "ms",
              Distribution.of(allUpdated),
              "(detail: includes the commit)",
              true,
              Map.of()),
          new Figure(
              "commit acked -> each watcher" + where,
              "ms",
              Distribution.of(perWatcher),
              "(detail)",
              true,
              Map.of()));
    } finally {
      Endpoints.shutdown(channels);
    }
  }
}
