package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.multiconnect.client.AdminClient;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.upstream.InjectInboundRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inbound messages and statuses on a cluster of processes: set as the On-Premises API sets it, the
 * webhook receives every status of every message and every inbound message, and events pending at a
 * primary that is killed reach the webhook through the next one.
 */
@Tag("slow")
class WebhookTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** A webhook receiver on loopback that keeps what it is sent and can be told to fail. */
  static final class Receiver implements AutoCloseable {
    final HttpServer server;
    final List<JsonNode> bodies = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean failing = new AtomicBoolean();
    final AtomicInteger refused = new AtomicInteger();

    Receiver() throws java.io.IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/hook",
          x -> {
            byte[] body = x.getRequestBody().readAllBytes();
            if (failing.get()) {
              refused.incrementAndGet();
              x.sendResponseHeaders(500, -1);
            } else {
              bodies.add(JSON.readTree(body));
              x.sendResponseHeaders(200, -1);
            }
            x.close();
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** Statuses received: message id to its statuses in the order they came. */
    Map<String, List<String>> statuses() {
      Map<String, List<String>> out = new HashMap<>();
      synchronized (bodies) {
        for (JsonNode b : bodies) {
          for (JsonNode s : b.path("statuses")) {
            out.computeIfAbsent(s.path("id").asText(), k -> new ArrayList<>())
                .add(s.path("status").asText());
          }
        }
      }
      return out;
    }

    /** Inbound messages received: their ids, each once, and how many arrived in all. */
    List<String> messages() {
      List<String> out = new ArrayList<>();
      synchronized (bodies) {
        for (JsonNode b : bodies) {
          for (JsonNode m : b.path("messages")) {
            out.add(m.path("id").asText());
          }
        }
      }
      return out;
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @Test
  void statusesAndInboundMessagesReachTheWebhookAcrossAFailover() throws Exception {
    try (Receiver hook = new Receiver();
        Lab lab = SmallTlsLab.create(dir.resolve("lab"), 1, Map.of())) {
      lab.start();
      Lab.Ready ready = lab.ready(200, 2_000, "hooks-Passw0rd", Duration.ofSeconds(120));
      Http http = new Http(URI.create(lab.webappUrl("w1")).getPort());
      http.authorization = ready.authorization();

      // Settings as a program written for the On-Premises API sets them; refusals name the field.
      Http.Response set =
          http.call(
              "PATCH",
              "/v1/settings/application",
              "{\"webhooks\":{\"url\":\""
                  + hook.url()
                  + "\"},\"sent_status\":true,\"callback_backoff_delay_ms\":\"200\","
                  + "\"max_callback_backoff_delay_ms\":1000}");
      assertEquals(200, set.status(), set.toString());
      JsonNode app = http.call("GET", "/v1/settings/application", null).json().path("settings");
      assertEquals(hook.url(), app.path("application").path("webhooks").path("url").asText());
      assertEquals(200, app.path("application").path("callback_backoff_delay_ms").asInt());
      assertEquals(true, app.path("application").path("sent_status").asBoolean());
      assertEquals(2.0, app.path("application").path("unhealthy_interval").asDouble());
      assertRefused(http, "{\"webhooks\":{\"uri\":\"http://x\"}}", 1009, "webhooks.uri");
      assertRefused(http, "{\"webhooks\":{\"url\":\"ftp://x\"}}", 1009, "webhooks.url");
      assertRefused(http, "{\"sent_status\":\"yes\"}", 1009, "sent_status");
      assertRefused(http, "{}", 1009, "No valid parameters");

      // Every status of every message, failed for a recipient the simulation cannot reach.
      List<String> sent = new ArrayList<>();
      for (String to : List.of("15551230001", "15551230002", "15551230099")) {
        Http.Response r =
            http.call(
                "POST",
                "/v1/messages",
                "{\"to\":\"" + to + "\",\"type\":\"text\",\"text\":{\"body\":\"hi\"}}");
        assertEquals(201, r.status(), r.toString());
        sent.add(r.json().path("messages").get(0).path("id").asText());
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  hook.statuses().getOrDefault(sent.get(0), List.of()).contains("read")
                      && hook.statuses().getOrDefault(sent.get(1), List.of()).contains("read")
                      && hook.statuses().containsKey(sent.get(2)));
      assertEquals(List.of("sent", "delivered", "read"), hook.statuses().get(sent.get(0)));
      assertEquals(List.of("failed"), hook.statuses().get(sent.get(2)));

      ManagedChannel upstream =
          Endpoints.channel(
              lab.upstreamAddress(), lab.adminTls(), PeerCheck.role(NodeIdentity.Role.UPSTREAM));
      try {
        var stub = UpstreamGrpc.newBlockingStub(upstream);
        stub.injectInbound(
            InjectInboundRequest.newBuilder()
                .setFrom("+1 555 000 4242")
                .setText("hello business")
                .setName("Ada")
                .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> hook.messages().size() == 1);
        JsonNode first = hook.bodies.stream().filter(b -> b.has("messages")).findFirst().get();
        assertEquals("15550004242", first.path("contacts").get(0).path("wa_id").asText());
        assertEquals("Ada", first.path("contacts").get(0).path("profile").path("name").asText());
        assertEquals(
            "hello business", first.path("messages").get(0).path("text").path("body").asText());

        // The webhook fails; events wait at the primary, which is then killed.
        hook.failing.set(true);
        stub.injectInbound(
            InjectInboundRequest.newBuilder()
                .setFrom("15550004343")
                .setText("while down")
                .setCount(20)
                .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> hook.refused.get() >= 2);
        String primary;
        try (AdminClient admin = lab.anonymousAdmin()) {
          ShardAssignment a =
              lab.awaitServing(admin, Duration.ofSeconds(10)).getShardMap().getAssignments(0);
          primary = a.getCoreappId();
        }
        lab.kill(primary);
        hook.failing.set(false);
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> new HashSet<>(hook.messages()).size() == 21);
        Set<String> distinct = new HashSet<>(hook.messages());
        assertEquals(21, distinct.size(), "every inbound message, the pending ones included");
        assertTrue(hook.messages().size() >= 21);
      } finally {
        Endpoints.shutdown(List.of(upstream));
      }
    }
  }

  private static void assertRefused(Http http, String body, int code, String details)
      throws Exception {
    Http.Response r = http.call("PATCH", "/v1/settings/application", body);
    assertEquals(400, r.status(), r.toString());
    JsonNode e = r.json().path("errors").get(0);
    assertEquals(code, e.path("code").asInt(), r.toString());
    assertTrue(e.path("details").asText().contains(details), r.toString());
  }
}
