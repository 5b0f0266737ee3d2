package io.multiconnect.bench;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.dataplane.TextMessage;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.ShardAssignment;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * Messages webapp -> coreapp -> upstream simulator. Throughput: closed loops through the webapp to
 * recipients of every shard, measured at the end of a warm-up under the same load; the figure is
 * the distribution of messages per second over the measured seconds. Latency, after it: four closed
 * loops to a shard-0 recipient, first straight to the primary's gRPC {@code SendMessage} (what the
 * webapp itself calls), then through the webapp's REST API; the figure is the p99 the webapp adds.
 */
final class Throughput {

  private Throughput() {}

  static List<Figure> run(
      Rig rig,
      double warmupSeconds,
      double seconds,
      int loops,
      double targetRate,
      double targetAddedP99Ms) {
    ClusterStatus s = rig.awaitSteady(Duration.ofSeconds(60), x -> true);
    int shards = s.getShardMap().getShardCount();
    ShardAssignment p = Rig.primary(s, 0).orElseThrow();
    String to = Rig.recipient(0, shards, 7);
    String run = Long.toString(System.currentTimeMillis());
    String[] recipients = new String[shards];
    for (int k = 0; k < shards; k++) {
      recipients[k] = Rig.recipient(k, shards, 8);
    }
    IntPredicate viaWebapp = i -> rig.send(recipients[i % shards], "tp-" + run + "-" + i) == 201;
    // The JIT needs tens of seconds of load on this machine before the path runs compiled: the
    // loops run that long before their seconds are measured, with no pause or change of load in
    // between (measured after the 4-loop runs below, the first seconds ran at half the rate). The
    // warm-up also serves the latency runs (the direct calls run the same coreapp and upstream).
    ClosedLoop.Result load = ClosedLoop.run(loops, warmupSeconds, seconds, viaWebapp);
    ManagedChannel ch =
        Endpoints.channel(
            rig.lab.coreappAddress(p.getCoreappId()),
            // Sends to a coreapp as a webapp does: only webapps may.
            rig.lab.tlsAs(new NodeIdentity(NodeIdentity.Role.WEBAPP, "bench")),
            PeerCheck.node(NodeIdentity.Role.COREAPP, p.getCoreappId()));
    ClosedLoop.Result direct;
    try {
      CoreappGrpc.CoreappBlockingStub stub = CoreappGrpc.newBlockingStub(ch);
      direct =
          ClosedLoop.run(
              4,
              1,
              seconds,
              i -> {
                try {
                  stub.withDeadline(Deadline.after(2, TimeUnit.SECONDS))
                      .sendMessage(
                          SendMessageRequest.newBuilder()
                              .setShard(0)
                              .setShardCount(shards)
                              .setEpoch(p.getEpoch())
                              .setMessageId("direct-" + run + "-" + i)
                              .setTo(to)
                              .setType(TextMessage.TYPE)
                              .setPayload(TextMessage.payload(to, "bench"))
                              .build());
                  return true;
                } catch (StatusRuntimeException e) {
                  return false;
                }
              });
    } finally {
      Endpoints.shutdown(List.of(ch));
    }
    ClosedLoop.Result web =
        ClosedLoop.run(4, 1, seconds, i -> rig.send(to, "lat-" + run + "-" + i) == 201);
    Distribution dd = Distribution.of(direct.latenciesMs());
    Distribution dw = Distribution.of(web.latenciesMs());
    double added = dw.p99() - dd.p99();
    Distribution rate = Distribution.of(load.perSecond());
    return List.of(
        new Figure(
            "direct coreapp call (4 loops)",
            "ms",
            dd,
            "(baseline)",
            true,
            Map.of("calls/s", Math.round(direct.rate()), "failed", direct.failed())),
        new Figure(
            "through the webapp (4 loops)",
            "ms",
            dw,
            "added p99 <= " + targetAddedP99Ms + " ms",
            added <= targetAddedP99Ms && web.failed() == 0,
            Map.of(
                "added p99 ms",
                Distribution.fmt(added),
                "calls/s",
                Math.round(web.rate()),
                "failed",
                web.failed())),
        new Figure(
            "messages/s through the webapp (" + loops + " loops)",
            "msg/s per second of the run",
            rate,
            ">= " + (long) targetRate + " msg/s",
            load.rate() >= targetRate && load.failed() == 0,
            Map.of(
                "mean msg/s",
                Math.round(load.rate()),
                "latency",
                Distribution.of(load.latenciesMs()).toString() + " ms",
                "failed",
                load.failed(),
                "each second",
                Arrays.stream(load.perSecond()).mapToLong(Math::round).boxed().toList())));
  }

  /**
   * Template messages through the webapp to recipients of every shard, as the text figure's load;
   * the figure to read beside it (no target of its own).
   */
  static Figure templates(Rig rig, double warmupSeconds, double seconds, int loops) {
    int shards = rig.awaitSteady(Duration.ofSeconds(60), x -> true).getShardMap().getShardCount();
    String run = Long.toString(System.currentTimeMillis());
    String[] recipients = new String[shards];
    for (int k = 0; k < shards; k++) {
      recipients[k] = Rig.recipient(k, shards, 9);
    }
    ClosedLoop.Result load =
        ClosedLoop.run(
            loops,
            warmupSeconds,
            seconds,
            i -> rig.send(recipients[i % shards], "tpl-" + run + "-" + i, Rig.TEMPLATE) == 201);
    return new Figure(
        "template messages/s through the webapp (" + loops + " loops)",
        "msg/s per second of the run",
        Distribution.of(load.perSecond()),
        "(beside the text figure)",
        load.failed() == 0,
        Map.of(
            "mean msg/s",
            Math.round(load.rate()),
            "latency",
            Distribution.of(load.latenciesMs()).toString() + " ms",
            "failed",
            load.failed()));
  }
}
