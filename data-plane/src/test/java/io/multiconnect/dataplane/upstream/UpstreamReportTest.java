package io.multiconnect.dataplane.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The report a person reads, from a real simulator over gRPC. */
class UpstreamReportTest {

  private static void open(ManagedChannel ch, String incarnation, long epoch) {
    UpstreamGrpc.newBlockingStub(ch)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .openSession(
            OpenSessionRequest.newBuilder()
                .setCoreappId("c1")
                .setIncarnation(incarnation)
                .setShard(0)
                .setShardCount(1)
                .setEpoch(epoch)
                .build())
        .next();
  }

  private static String report(String... args) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertEquals(
        0,
        UpstreamReport.run(
            args, Map.of("MC_TLS", "plaintext"), new PrintStream(bytes, true, "UTF-8")));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void showsTheRulesTheLiveSessionsAndTheBans() throws Exception {
    try (UpstreamSimulator sim =
        new UpstreamSimulator(
                "127.0.0.1",
                0,
                Duration.ofMinutes(1),
                Duration.ofMillis(100),
                false,
                1000,
                TestTls.PLAINTEXT)
            .start()) {
      ManagedChannel ch =
          Endpoints.channel("127.0.0.1:" + sim.port(), TestTls.PLAINTEXT, PeerCheck.anyNode());
      try {
        open(ch, "aa", 1);
        open(ch, "bb", 1); // a second process of c1 while the first is live: a ban
        String address = "127.0.0.1:" + sim.port();
        String text = report("--address", address);
        assertTrue(text.contains("bans: 1"), text);
        assertTrue(text.contains("live sessions: 1"), text);
        assertTrue(text.contains("c1           bb"), text);
        JsonNode json = new ObjectMapper().readTree(report("--address", address, "--json"));
        assertEquals(1, json.get("bans").asInt());
        assertEquals(60_000, json.get("silence_ms").asInt());
        assertEquals(100, json.get("drop_slack_ms").asInt());
        assertEquals("bb", json.get("live_sessions").get(0).get("incarnation").asText());
      } finally {
        Endpoints.shutdown(List.of(ch));
      }
    }
  }
}
