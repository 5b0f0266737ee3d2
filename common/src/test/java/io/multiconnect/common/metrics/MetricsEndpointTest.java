package io.multiconnect.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.net.HostPort;
import io.multiconnect.common.net.LoopbackPorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  private static final String KEY = "a-metrics-key-0123";
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesTheNodesMetersAndTheJvmsAndItsLogWithTheApiKey() throws Exception {
    try (NodeMetrics metrics = new NodeMetrics();
        MetricsEndpoint endpoint =
            MetricsEndpoint.start(
                new MetricsEndpoint.Settings(
                    new HostPort("127.0.0.1", LoopbackPorts.next()), ApiKey.of(KEY)),
                metrics::scrape,
                () -> "INFO Node - started\n")) {
      Counter.builder("multiconnect_test_things").register(metrics.registry()).increment(3);

      HttpResponse<String> ok = get(endpoint, "/metrics", "Apikey " + KEY, "GET");
      assertEquals(200, ok.statusCode());
      assertEquals(
          "text/plain; version=0.0.4; charset=utf-8",
          ok.headers().firstValue("Content-Type").orElseThrow());
      assertTrue(ok.body().contains("multiconnect_test_things_total 3.0"), ok.body());
      assertTrue(ok.body().contains("jvm_memory_used_bytes{"), "JVM meters");
      assertTrue(ok.body().contains("process_cpu_usage "), "process meters");

      HttpResponse<String> noKey = get(endpoint, "/metrics", null, "GET");
      assertEquals(401, noKey.statusCode());
      assertEquals("Apikey", noKey.headers().firstValue("WWW-Authenticate").orElseThrow());
      assertEquals(401, get(endpoint, "/metrics", "Apikey wrong-key-0123456", "GET").statusCode());
      assertEquals(401, get(endpoint, "/metrics", "Bearer " + KEY, "GET").statusCode());
      assertEquals(404, get(endpoint, "/other", "Apikey " + KEY, "GET").statusCode());

      HttpResponse<String> logs = get(endpoint, "/logs", "Apikey " + KEY, "GET");
      assertEquals(200, logs.statusCode());
      assertEquals("INFO Node - started\n", logs.body());
      assertEquals(
          "text/plain; charset=utf-8", logs.headers().firstValue("Content-Type").orElseThrow());
      assertEquals(401, get(endpoint, "/logs", null, "GET").statusCode());
      assertEquals(405, get(endpoint, "/metrics", "Apikey " + KEY, "DELETE").statusCode());
    }
  }

  @Test
  void withoutAKeyOnlyLoopbackIsServed() throws Exception {
    IllegalArgumentException open =
        assertThrows(
            IllegalArgumentException.class,
            () -> MetricsEndpoint.Settings.fromEnv(Map.of(MetricsEndpoint.ENV, "0.0.0.0:9464")));
    assertTrue(open.getMessage().contains("set WA_API_KEY"), open.getMessage());
    assertEquals(
        Optional.empty(), MetricsEndpoint.Settings.fromEnv(Map.of(ApiKey.ENV, KEY)), "off");
    assertEquals(
        new HostPort("0.0.0.0", 9464),
        MetricsEndpoint.Settings.fromEnv(
                Map.of(MetricsEndpoint.ENV, "0.0.0.0:9464", ApiKey.ENV, KEY))
            .orElseThrow()
            .address());
    assertThrows(
        IllegalArgumentException.class,
        () -> MetricsEndpoint.Settings.fromEnv(Map.of(MetricsEndpoint.ENV, "localhost")));

    try (NodeMetrics metrics = new NodeMetrics();
        MetricsEndpoint endpoint =
            MetricsEndpoint.start(
                MetricsEndpoint.Settings.fromEnv(
                        Map.of(MetricsEndpoint.ENV, "127.0.0.1:" + LoopbackPorts.next()))
                    .orElseThrow(),
                metrics::scrape,
                () -> "INFO user bob logged in\n")) {
      assertEquals(200, get(endpoint, "/metrics", null, "GET").statusCode());
      assertEquals(404, get(endpoint, "/logs", null, "GET").statusCode(), "no key, no log");
      HttpResponse<String> head = get(endpoint, "/metrics", null, "HEAD");
      assertEquals(200, head.statusCode());
      assertEquals("", head.body());
    }
  }

  private HttpResponse<String> get(
      MetricsEndpoint endpoint, String path, String authorization, String method) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
