package io.multiconnect.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.dataplane.HeartbeatStream;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.GetLocalRaftStatusRequest;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.LatencyHistogram;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.ShardAssignment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heartbeat capacity of one leader: simulated coreapps (registered, so the leader answers them in
 * full, as secondaries) heartbeat the leader on their own streams, as coreapps do, at a fixed
 * offered rate, open loop: each heartbeat's round trip counts from the moment it was due, so a
 * stalled sender or server cannot hide its backlog. Rates step up until the answers fall behind.
 * The sustained rate is the highest one the leader kept up with while its handler p99 stayed under
 * the bound: the leader's own histogram of receipt to answer (its proof of leadership included),
 * read before and after each step's measured seconds ({@code heartbeat_handling} in
 * GetLocalRaftStatus). The round trip, measured at the client, is reported beside it: it adds both
 * gRPC stacks, the loopback and the generator's own scheduling on the same 2 cores. Then twice the
 * sustained rate runs while the real coreapps keep their shards: any change of primary or epoch, or
 * a real coreapp marked unhealthy, is a false failover.
 */
final class HeartbeatLoad {
  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatLoad.class);
  private static final int SIMULATED = 200;
  private static final int CHANNELS = 4;
  private static final int SENDERS = 4;

  private HeartbeatLoad() {}

  /** One step's result. */
  record Step(
      int offered,
      double achieved,
      Optional<Distribution> roundTripMs,
      Optional<Distribution> handlingMs,
      int errors) {
    boolean holds(double p99Ms) {
      return keepsUp() && handlingMs.filter(d -> d.p99() < p99Ms).isPresent();
    }

    /** Answered (nearly) all it was offered, without error and without a backlog of seconds. */
    boolean keepsUp() {
      return achieved >= 0.95 * offered
          && errors == 0
          && roundTripMs.filter(d -> d.p99() < 1_000).isPresent();
    }

    String summary() {
      return offered
          + "/s: achieved "
          + Math.round(achieved)
          + ", handling p99 "
          + handlingMs.map(d -> Distribution.fmt(d.p99()) + " ms").orElse("(none)")
          + ", round trip p99 "
          + roundTripMs.map(d -> Distribution.fmt(d.p99()) + " ms").orElse("(none answered)")
          + (errors > 0 ? ", " + errors + " failed" : "");
    }
  }

  static List<Figure> run(
      Rig rig, int[] rates, double warmup, double seconds, double p99Ms, double targetRate) {
    ClusterStatus before = rig.awaitSteady(Duration.ofSeconds(60), x -> true);
    String leader = before.getLeader().getLeaderAddress();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      // One certificate cannot be many coreapps: the load speaks as a member master relaying
      // their heartbeats, as followers do (only members may relay).
      NodeTls relay =
          rig.lab.tlsAs(new NodeIdentity(NodeIdentity.Role.MASTER, rig.lab.masters.get(0)));
      for (int i = 0; i < CHANNELS; i++) {
        channels.add(Endpoints.channel(leader, relay, PeerCheck.role(NodeIdentity.Role.MASTER)));
      }
      ControlPlaneGrpc.ControlPlaneBlockingStub reg =
          ControlPlaneGrpc.newBlockingStub(channels.get(0));
      for (int i = 0; i < SIMULATED; i++) {
        reg.withDeadline(Deadline.after(5, TimeUnit.SECONDS))
            .register(
                RegisterRequest.newBuilder()
                    .setCoreappId(sim(i))
                    .setIncarnation(sim(i))
                    .setAddress("127.0.0.1:9")
                    .build());
      }
      AdminGrpc.AdminBlockingStub leaderAdmin = AdminGrpc.newBlockingStub(channels.get(0));
      Supplier<LatencyHistogram> handling =
          () ->
              leaderAdmin
                  .withDeadline(Deadline.after(5, TimeUnit.SECONDS))
                  .getLocalRaftStatus(GetLocalRaftStatusRequest.getDefaultInstance())
                  .getHeartbeatHandling();
      // The JIT takes tens of seconds of load on this machine (docs/benchmarks-log-2026-11.md):
      // warm first.
      step(channels, handling, rates[0], 0, warmup);
      Step best = null;
      Step kept = null;
      List<Step> steps = new ArrayList<>();
      for (int rate : rates) {
        Step st = step(channels, handling, rate, 1, seconds);
        steps.add(st);
        if (!st.keepsUp()) {
          break;
        }
        kept = st;
        if (st.holds(p99Ms)) {
          best = st;
        }
      }
      // Twice the sustained rate; when none met the latency bound, twice the highest rate the
      // leader kept up with.
      Step base = best != null ? best : kept;
      if (base == null) {
        throw new IllegalStateException(
            "the leader kept up with no rate: " + steps.get(0).summary());
      }
      int doubled = 2 * base.offered();
      // The last step may have overloaded the leader far past twice that rate (and failed real
      // coreapps over): the twice run is judged against the table once the cluster has settled.
      Map<Integer, String> table = table(rig.awaitSteady(Duration.ofSeconds(60), x -> true));
      Step twice = step(channels, handling, doubled, 1, seconds);
      Rig.pause(before.getShardMap().getSettings().getUnhealthyIntervalMs());
      ClusterStatus after = rig.status();
      boolean unchanged = table(after).equals(table);
      boolean healthy =
          after.getCoreappsList().stream()
              .filter(c -> rig.lab.coreapps.contains(c.getId()))
              .allMatch(c -> c.getHealthy());
      Map<String, Object> counts = new LinkedHashMap<>();
      counts.put("sustained /s", best == null ? 0 : best.offered());
      counts.put("round trip ms", base.roundTripMs().orElseThrow());
      counts.put("steps", steps.stream().map(Step::summary).collect(Collectors.joining("; ")));
      counts.put("twice", twice.summary());
      counts.put("false failover at 2x", !(unchanged && healthy));
      return List.of(
          new Figure(
              "heartbeat handling on the leader at " + base.offered() + "/s",
              "ms",
              base.handlingMs().orElseThrow(),
              ">= "
                  + (long) targetRate
                  + "/s with handler p99 < "
                  + (long) p99Ms
                  + " ms, no false failover at 2x",
              best != null && best.offered() >= targetRate && unchanged && healthy,
              counts));
    } finally {
      Endpoints.shutdown(channels);
    }
  }

  private static String sim(int i) {
    return String.format("hb-sim-%03d", i);
  }

  private static Map<Integer, String> table(ClusterStatus s) {
    Map<Integer, String> t = new LinkedHashMap<>();
    for (ShardAssignment a : s.getShardMap().getAssignmentsList()) {
      t.put(a.getShard(), a.getCoreappId() + "@" + a.getEpoch());
    }
    return t;
  }

  /**
   * Offers {@code rate} heartbeats a second for {@code seconds} after {@code warmup} seconds, from
   * {@link #SENDERS} threads that each keep a share of the schedule and own a share of the
   * simulated coreapps. Each simulated coreapp heartbeats on its own stream, as a coreapp does
   * ({@link HeartbeatStream}), over one of the channels. The leader's {@code handling} histogram is
   * read when the measured seconds start and once every answer is in.
   */
  static Step step(
      List<ManagedChannel> channels,
      Supplier<LatencyHistogram> handling,
      int rate,
      double warmup,
      double seconds) {
    int expected = (int) (rate * (seconds + warmup));
    long[] latency = new long[expected + 16];
    AtomicInteger measured = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicLong sent = new AtomicLong();
    AtomicLong done = new AtomicLong();
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmup * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    double share = (double) rate / SENDERS;
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    List<HeartbeatStream> streams = new ArrayList<>();
    for (int i = 0; i < SIMULATED; i++) {
      streams.add(new HeartbeatStream(timer, Duration.ofSeconds(5)));
    }
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < SENDERS; t++) {
      int me = t;
      Thread th =
          DaemonThreads.thread(
              "heartbeat-sender-" + t,
              () -> {
                long mine = 0;
                while (true) {
                  long now = System.nanoTime();
                  if (now >= end) {
                    break;
                  }
                  // Every heartbeat whose moment has come: number k is due at start + k / share.
                  long due = (long) ((now - start) / 1e9 * share) + 1;
                  for (; mine < due; mine++) {
                    long dueAt = start + (long) (mine * 1e9 / share);
                    boolean counted = dueAt >= measureFrom;
                    // This thread's simulated coreapps: me, me + SENDERS, me + 2 * SENDERS, ...
                    int sim = (int) (me + SENDERS * (mine % (SIMULATED / SENDERS)));
                    sent.incrementAndGet();
                    Futures.addCallback(
                        streams
                            .get(sim)
                            .send(
                                channels.get(sim % channels.size()),
                                HeartbeatRequest.newBuilder()
                                    .setCoreappId(sim(sim))
                                    .setIncarnation(sim(sim))
                                    .setSequence(mine)
                                    .build()),
                        new FutureCallback<HeartbeatResponse>() {
                          @Override
                          public void onSuccess(HeartbeatResponse r) {
                            done.incrementAndGet();
                            if (counted) {
                              int i = measured.getAndIncrement();
                              if (i < latency.length) {
                                latency[i] = System.nanoTime() - dueAt;
                              }
                            }
                          }

                          @Override
                          public void onFailure(Throwable e) {
                            done.incrementAndGet();
                            if (errors.getAndIncrement() == 0) {
                              LOG.warn("heartbeat at {}/s failed: {}", rate, e.toString());
                            }
                          }
                        },
                        MoreExecutors.directExecutor());
                  }
                  LockSupport.parkNanos(200_000);
                }
              });
      senders.add(th);
      th.start();
    }
    // Until the measured seconds start: a park returns early on a permit left by an earlier
    // blocking call (it took the histogram a second early, with the step's warm-up in it).
    for (long left; (left = measureFrom - System.nanoTime()) > 0; ) {
      LockSupport.parkNanos(left);
    }
    LatencyHistogram before = handling.get();
    ClosedLoop.joinAll(senders);
    // Wait for the stragglers (their latency keeps growing meanwhile, as it should), then close
    // the streams: a heartbeat still unanswered then fails as "closed", counted like any error.
    long drain = System.nanoTime() + 5_000_000_000L;
    while (done.get() < sent.get() && System.nanoTime() < drain) {
      LockSupport.parkNanos(1_000_000);
    }
    long finished = System.nanoTime();
    LatencyHistogram after = handling.get();
    streams.forEach(HeartbeatStream::close);
    timer.shutdownNow();
    int n = Math.min(measured.get(), latency.length);
    double[] ms = new double[n];
    for (int i = 0; i < n; i++) {
      ms[i] = latency[i] / 1e6;
    }
    long[] handled = new long[after.getCountsCount()];
    for (int i = 0; i < handled.length; i++) {
      handled[i] = after.getCounts(i) - before.getCounts(i);
    }
    return new Step(
        rate,
        n / ((finished - measureFrom) / 1e9),
        n == 0 ? Optional.empty() : Optional.of(Distribution.of(ms)),
        Arrays.stream(handled).sum() == 0
            ? Optional.empty()
            : Optional.of(Distribution.ofBuckets(after.getUpperBoundsMsList(), handled)),
        errors.get());
  }
}
