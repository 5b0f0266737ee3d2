package io.multiconnect.bench;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.multiconnect.dataplane.Endpoints;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.ShardAssignment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heartbeat capacity of one leader: simulated coreapps (registered, so the leader answers them in
 * full, as secondaries) heartbeat the leader at a fixed offered rate, open loop: each heartbeat's
 * latency counts from the moment it was due, so a stalled sender or server cannot hide its backlog.
 * Rates step up until the round-trip p99 reaches 5 ms or the answers fall behind; the highest rate
 * that kept both is the sustained rate. Then twice that rate runs while the real coreapps keep
 * their shards: any change of primary or epoch, or a real coreapp marked unhealthy, is a false
 * failover. The round trip is measured at the client, so it bounds the handler's time from above
 * (it includes both gRPC stacks and the loopback).
 */
final class HeartbeatLoad {
  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatLoad.class);
  private static final int SIMULATED = 200;
  private static final int CHANNELS = 4;
  private static final int SENDERS = 4;

  private HeartbeatLoad() {}

  /** One step's result. */
  record Step(int offered, double achieved, Distribution roundTripMs, int errors) {
    boolean holds(double p99Ms) {
      return roundTripMs.p99() < p99Ms && achieved >= 0.95 * offered && errors == 0;
    }
  }

  static List<Figure> run(
      Rig rig, int[] rates, double warmup, double seconds, double p99Ms, double targetRate) {
    ClusterStatus before = rig.awaitSteady(Duration.ofSeconds(60), x -> true);
    String leader = before.getLeader().getLeaderAddress();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < CHANNELS; i++) {
        channels.add(Endpoints.channel(leader));
      }
      ControlPlaneGrpc.ControlPlaneBlockingStub reg =
          ControlPlaneGrpc.newBlockingStub(channels.get(0));
      for (int i = 0; i < SIMULATED; i++) {
        reg.withDeadline(Deadline.after(5, TimeUnit.SECONDS))
            .register(
                RegisterRequest.newBuilder()
                    .setCoreappId(sim(i))
                    .setAddress("127.0.0.1:9")
                    .build());
      }
      Step best = null;
      List<Step> steps = new ArrayList<>();
      for (int rate : rates) {
        Step st = step(channels, rate, warmup, seconds);
        steps.add(st);
        if (!st.holds(p99Ms)) {
          break;
        }
        best = st;
      }
      int doubled = 2 * (best == null ? rates[0] : best.offered());
      Map<Integer, String> table = table(before);
      Step twice = step(channels, doubled, warmup, seconds);
      Rig.pause(before.getShardMap().getSettings().getUnhealthyIntervalMs());
      ClusterStatus after = rig.status();
      boolean unchanged = table(after).equals(table);
      boolean healthy =
          after.getCoreappsList().stream()
              .filter(c -> rig.lab.coreapps.contains(c.getId()))
              .allMatch(c -> c.getHealthy());
      Map<String, Object> counts = new LinkedHashMap<>();
      counts.put("sustained /s", best == null ? 0 : best.offered());
      counts.put(
          "steps",
          steps.stream()
              .map(
                  s ->
                      s.offered()
                          + "/s: achieved "
                          + Math.round(s.achieved())
                          + ", p99 "
                          + Distribution.fmt(s.roundTripMs().p99())
                          + " ms")
              .collect(Collectors.joining("; ")));
      counts.put(
          "at " + doubled + "/s",
          "achieved "
              + Math.round(twice.achieved())
              + ", p99 "
              + Distribution.fmt(twice.roundTripMs().p99())
              + " ms, errors "
              + twice.errors());
      counts.put("false failover at 2x", !(unchanged && healthy));
      Step shown = best == null ? steps.get(0) : best;
      return List.of(
          new Figure(
              "heartbeat round trip at " + shown.offered() + "/s",
              "ms",
              shown.roundTripMs(),
              ">= "
                  + (long) targetRate
                  + "/s with p99 < "
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
   * {@link #SENDERS} threads that each keep a share of the schedule.
   */
  static Step step(List<ManagedChannel> channels, int rate, double warmup, double seconds) {
    List<ControlPlaneGrpc.ControlPlaneStub> stubs =
        channels.stream().map(ControlPlaneGrpc::newStub).toList();
    int expected = (int) (rate * (seconds + warmup));
    long[] latency = new long[expected + 16];
    AtomicInteger measured = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicLong sent = new AtomicLong();
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmup * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    double share = (double) rate / SENDERS;
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < SENDERS; t++) {
      int me = t;
      Thread th =
          new Thread(
              () -> {
                long mine = 0;
                while (true) {
                  long now = System.nanoTime();
                  if (now >= end) {
                    break;
                  }
                  long due = (long) ((now - start) / 1e9 * share);
                  for (; mine < due; mine++) {
                    long dueAt = start + (long) (mine * 1e9 / share);
                    boolean counted = dueAt >= measureFrom;
                    long k = sent.incrementAndGet();
                    stubs
                        .get(me % stubs.size())
                        .withDeadline(Deadline.after(5, TimeUnit.SECONDS))
                        .heartbeat(
                            HeartbeatRequest.newBuilder()
                                .setCoreappId(sim((int) (k % SIMULATED)))
                                .setSequence(k)
                                .build(),
                            new StreamObserver<>() {
                              @Override
                              public void onNext(HeartbeatResponse r) {
                                if (counted) {
                                  int i = measured.getAndIncrement();
                                  if (i < latency.length) {
                                    latency[i] = System.nanoTime() - dueAt;
                                  }
                                }
                              }

                              @Override
                              public void onError(Throwable e) {
                                if (errors.getAndIncrement() == 0) {
                                  LOG.warn("heartbeat at {}/s failed: {}", rate, e.toString());
                                }
                              }

                              @Override
                              public void onCompleted() {}
                            });
                  }
                  LockSupport.parkNanos(200_000);
                }
              },
              "heartbeat-sender-" + t);
      th.setDaemon(true);
      senders.add(th);
      th.start();
    }
    ClosedLoop.joinAll(senders);
    // Wait for the stragglers (their latency keeps growing meanwhile, as it should).
    long drain = System.nanoTime() + 5_000_000_000L;
    long wanted = (long) (seconds * rate * 0.99);
    while (measured.get() + errors.get() < wanted && System.nanoTime() < drain) {
      LockSupport.parkNanos(1_000_000);
    }
    long finished = System.nanoTime();
    int n = Math.min(measured.get(), latency.length);
    if (n == 0) {
      throw new IllegalStateException(
          "no heartbeat at "
              + rate
              + "/s was answered ("
              + sent.get()
              + " sent, "
              + errors.get()
              + " failed)");
    }
    double[] ms = new double[n];
    for (int i = 0; i < n; i++) {
      ms[i] = latency[i] / 1e6;
    }
    return new Step(rate, n / ((finished - measureFrom) / 1e9), Distribution.of(ms), errors.get());
  }
}
