package io.multiconnect.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.UpdateApplicationSettingsRequest;
import io.multiconnect.proto.v1.upstream.InjectInboundRequest;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Inbound messages from the upstream simulator to the business's webhook, through each shard's
 * primary: one receiver (an HTTP server in this process answering 200 at once). Latency: one
 * message at a time, its text the {@code System.nanoTime()} at which it was injected (one clock:
 * every process of the rig runs on this host), against the moment the receiver read it; the figure
 * is what the cluster adds between the upstream and the webhook, the inject call included.
 * Throughput: many messages injected at once from senders of every shard, the rate at which every
 * one of them reached the receiver.
 */
final class Inbound {
  private Inbound() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static List<Figure> run(Rig rig, double seconds, int bulk, double targetP99Ms, double targetRate)
      throws Exception {
    ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
    Set<String> received = ConcurrentHashMap.newKeySet();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.setExecutor(Executors.newFixedThreadPool(4));
    receiver.createContext(
        "/hook",
        x -> {
          long now = System.nanoTime();
          JsonNode body = JSON.readTree(x.getRequestBody().readAllBytes());
          for (JsonNode m : body.path("messages")) {
            String text = m.path("text").path("body").asText();
            if (text.equals("bulk")) {
              received.add(m.path("id").asText());
            }
            if (text.startsWith("t=")) {
              latencies.add((now - Long.parseLong(text.substring(2))) / 1e6);
            }
          }
          x.sendResponseHeaders(200, -1);
          x.close();
        });
    receiver.start();
    ManagedChannel ch =
        Endpoints.channel(
            rig.lab.upstreamAddress(),
            rig.lab.adminTls(),
            PeerCheck.role(NodeIdentity.Role.UPSTREAM));
    try {
      rig.admin.call(
          s ->
              s.updateApplicationSettings(
                  UpdateApplicationSettingsRequest.newBuilder()
                      .putChanges(
                          "webhooks.url",
                          "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook")
                      .putChanges("webhooks.max_concurrent_requests", "12")
                      .build()));
      int shards = rig.awaitSteady(Duration.ofSeconds(60), x -> true).getShardMap().getShardCount();
      UpstreamGrpc.UpstreamBlockingStub upstream = UpstreamGrpc.newBlockingStub(ch);
      // The statuses of the messages earlier figures sent wait for a webhook: measured once they
      // reached this one, so that what follows does not queue behind them.
      long backlog = 0;
      for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
          System.nanoTime() < until;
          Rig.pause(200)) {
        backlog =
            upstream
                .getReport(ReportRequest.newBuilder().setMaxEvents(1).build())
                .getInboundPending();
        if (backlog == 0) {
          break;
        }
      }
      String[] senders = new String[shards * 8];
      for (int i = 0; i < senders.length; i++) {
        senders[i] = Rig.recipient(i % shards, shards, 3 + i / shards);
      }
      // Latency, after a warm-up of the same shape: 200 a second, one at a time.
      for (int phase = 0; phase < 2; phase++) {
        latencies.clear();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        for (int i = 0; System.nanoTime() < end; i++) {
          upstream
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .injectInbound(
                  InjectInboundRequest.newBuilder()
                      .setFrom(senders[i % senders.length])
                      .setText("t=" + System.nanoTime())
                      .build());
          Rig.pause(5);
        }
        Rig.pause(1_000);
      }
      List<Double> measured = new ArrayList<>(latencies);
      // Throughput: bulk messages at once.
      received.clear();
      long start = System.nanoTime();
      int per = Math.max(1, bulk / senders.length);
      for (String from : senders) {
        upstream
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .injectInbound(
                InjectInboundRequest.newBuilder()
                    .setFrom(from)
                    .setText("bulk")
                    .setCount(per)
                    .build());
      }
      int total = per * senders.length;
      long deadline = start + TimeUnit.SECONDS.toNanos(120);
      while (received.size() < total && System.nanoTime() < deadline) {
        Rig.pause(20);
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      double rate = received.size() / elapsed;
      Distribution d = Distribution.of(measured);
      return List.of(
          Figure.p99AtMost(
              "inbound message to webhook (1 at a time)",
              d,
              targetP99Ms,
              !measured.isEmpty(),
              Map.of("messages", measured.size(), "backlog left", backlog)),
          new Figure(
              "inbound events/s to one webhook",
              "events/s",
              Distribution.of(List.of(rate)),
              ">= " + (long) targetRate + " events/s",
              rate >= targetRate && received.size() == total,
              Map.of(
                  "events",
                  total,
                  "received",
                  received.size(),
                  "seconds",
                  Distribution.fmt(elapsed))));
    } finally {
      Endpoints.shutdown(List.of(ch));
      receiver.stop(0);
      ((java.util.concurrent.ExecutorService) receiver.getExecutor()).shutdownNow();
    }
  }
}
