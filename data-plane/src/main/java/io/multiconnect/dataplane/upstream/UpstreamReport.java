package io.multiconnect.dataplane.upstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpc.ManagedChannel;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.upstream.LiveSession;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code bin/multiconnect upstream report [--address HOST:PORT] [--json]}: what the upstream
 * simulator saw, for a person: its rules, the live sessions and who holds them, bans, messages
 * accepted and duplicates absorbed. The address defaults to the demo's simulator.
 */
final class UpstreamReport {
  static final String DEFAULT_ADDRESS = "127.0.0.1:9900";

  private UpstreamReport() {}

  /** Prints the report; returns the exit status (0, 1 when unreachable, 2 on bad usage). */
  static int run(String[] args, Map<String, String> env, PrintStream out) {
    String address = DEFAULT_ADDRESS;
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--json")) {
        json = true;
      } else if (args[i].equals("--address") && i + 1 < args.length) {
        address = args[++i];
      } else {
        System.err.println("usage: upstream report [--address HOST:PORT] [--json]");
        return 2;
      }
    }
    boolean asJson = json;
    return withSimulator(
        address,
        env,
        "upstream report",
        stub -> {
          Report r = stub.getReport(ReportRequest.newBuilder().setMaxEvents(1).build());
          out.print(asJson ? json(r) : text(r));
          return 0;
        });
  }

  /**
   * Calls the simulator at {@code address} as the operator whose certificate the environment names;
   * the exit status {@code call} returns, 1 when the simulator cannot be reached or refuses, 2 when
   * the environment names no usable certificate.
   */
  static int withSimulator(
      String address,
      Map<String, String> env,
      String what,
      Function<UpstreamGrpc.UpstreamBlockingStub, Integer> call) {
    NodeTls tls;
    try {
      tls = NodeTls.fromEnv(env, what);
    } catch (IllegalArgumentException | IOException e) {
      System.err.println(what + ": " + e.getMessage());
      return 2;
    }
    ManagedChannel channel =
        Endpoints.channel(address, tls, PeerCheck.role(NodeIdentity.Role.UPSTREAM));
    try {
      return call.apply(
          UpstreamGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS));
    } catch (RuntimeException e) {
      System.err.println(what + ": the simulator at " + address + " did not do it: " + e);
      return 1;
    } finally {
      Endpoints.shutdown(List.of(channel));
      tls.close();
    }
  }

  static String text(Report r) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "upstream: sessions dropped %d ms after their holder's last call (lazily, up to %d ms"
                + " later)%s%n",
            r.getSilenceMs(),
            r.getDropSlackMs(),
            r.getFencing() ? "; FENCING stale epochs (kinder than the real server)" : ""));
    b.append(
        String.format(
            "bans: %d   messages accepted: %d   duplicates absorbed: %d%n",
            r.getBans(), r.getAcceptedMessages(), r.getDuplicates()));
    b.append(
        String.format(
            "inbound events (messages and statuses): %d generated, %d acknowledged, %d delivered"
                + " again, %d dropped unacknowledged, %d waiting%n",
            r.getInboundGenerated(),
            r.getInboundAcknowledged(),
            r.getInboundRedelivered(),
            r.getInboundDropped(),
            r.getInboundPending()));
    b.append(String.format("live sessions: %d%n", r.getLiveSessionsCount()));
    if (r.getLiveSessionsCount() > 0) {
      b.append(
          String.format(
              "  %-8s %-12s %-18s %-7s %-7s %s%n",
              "SESSION", "COREAPP", "PROCESS", "SHARD", "EPOCH", "SILENT"));
      for (LiveSession s : r.getLiveSessionsList()) {
        b.append(
            String.format(
                "  %-8s %-12s %-18s %-7s %-7d %d ms%n",
                s.getSessionId(),
                s.getCoreappId(),
                s.getIncarnation(),
                s.getShard() + "/" + s.getShardCount(),
                s.getEpoch(),
                s.getSilentMs()));
      }
    }
    return b.toString();
  }

  static String json(Report r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("silence_ms", r.getSilenceMs());
    m.put("drop_slack_ms", r.getDropSlackMs());
    m.put("fencing", r.getFencing());
    m.put("bans", r.getBans());
    m.put("accepted_messages", r.getAcceptedMessages());
    m.put("duplicates", r.getDuplicates());
    m.put("inbound_generated", r.getInboundGenerated());
    m.put("inbound_acknowledged", r.getInboundAcknowledged());
    m.put("inbound_redelivered", r.getInboundRedelivered());
    m.put("inbound_dropped", r.getInboundDropped());
    m.put("inbound_pending", r.getInboundPending());
    m.put(
        "live_sessions",
        r.getLiveSessionsList().stream()
            .map(
                s -> {
                  Map<String, Object> one = new LinkedHashMap<>();
                  one.put("session_id", s.getSessionId());
                  one.put("coreapp_id", s.getCoreappId());
                  one.put("incarnation", s.getIncarnation());
                  one.put("shard", s.getShard());
                  one.put("shard_count", s.getShardCount());
                  one.put("epoch", s.getEpoch());
                  one.put("silent_ms", s.getSilentMs());
                  return one;
                })
            .toList());
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m)
          + System.lineSeparator();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
