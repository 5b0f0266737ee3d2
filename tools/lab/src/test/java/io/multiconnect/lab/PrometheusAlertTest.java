package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiconnect.common.net.LoopbackPorts;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (Debian's package) scrapes every role of a cluster of processes with
 * deploy/prometheus's configuration and rules: every target answers with its role's metrics, and
 * the alert for a killed primary fires, then resolves once the leader has replaced it.
 */
@Tag("slow")
class PrometheusAlertTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALERT = "MulticonnectPrimarySilent";

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private String prometheus;

  @Test
  void everyRoleIsScrapedAndAKilledPrimaryFiresItsAlertUntilReplaced() throws Exception {
    try (Lab lab = SmallTlsLab.create(dir.resolve("lab"), 3, Map.of())) {
      lab.start();
      // Heartbeats every 0.5 s, replaced after 6 s: the alert (three missed heartbeats) has
      // about 4.5 s to fire before the failover resolves it.
      lab.ready(500, 6_000, "alerts-Passw0rd", Duration.ofSeconds(120));
      Process server = startPrometheus(lab);
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .ignoreExceptions()
            .until(() -> targetsUp().size() == 6);
        assertEquals(List.of("c1", "c2", "m1", "m2", "m3", "w1"), targetsUp());
        for (String family :
            List.of(
                "multiconnect_master_leader",
                "multiconnect_master_shard_epoch",
                "{__name__=~\"ratis_leader_election_.+\"}",
                "multiconnect_coreapp_acting",
                "multiconnect_webapp_shards",
                "jvm_memory_used_bytes")) {
          await()
              .atMost(Duration.ofSeconds(20))
              .ignoreExceptions()
              .until(() -> query(family).size() > 0);
        }
        await()
            .atMost(Duration.ofSeconds(20))
            .ignoreExceptions()
            .until(() -> query("multiconnect_master_leader == 1").size() == 1);
        assertEquals(List.of(), alerts(ALERT), "no alert while every primary heartbeats");
        // Every query of the Grafana dashboard is valid PromQL over these metrics.
        JsonNode dashboard =
            JSON.readTree(
                PrometheusRulesTest.DEPLOY.resolveSibling("grafana/multiconnect.json").toFile());
        int queries = 0;
        for (JsonNode panel : dashboard.path("panels")) {
          for (JsonNode target : panel.path("targets")) {
            query(target.path("expr").asText()); // fails unless Prometheus answers 200
            queries++;
          }
        }
        assertEquals(26, queries);

        String primary =
            query("multiconnect_master_shard_epoch").get(0).path("metric").path("coreapp").asText();
        lab.kill(primary);
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> alerts(ALERT).contains(primary + ":firing"));
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> alerts(ALERT).isEmpty());
        // As the leader says it (a follower's last scrape may be a second older).
        await()
            .atMost(Duration.ofSeconds(10))
            .ignoreExceptions()
            .until(
                () ->
                    query(
                            "multiconnect_master_shard_epoch and on(instance) multiconnect_master_leader == 1")
                        .get(0)
                        .path("metric")
                        .path("coreapp")
                        .asText(),
                next -> next.startsWith("c") && !next.equals(primary));
      } finally {
        server.destroy();
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
          server.destroyForcibly();
        }
      }
    }
  }

  /**
   * deploy/prometheus/prometheus.yml pointed at the lab (its targets and API key), scraping and
   * evaluating every second; checked with promtool, then served on a loopback port.
   */
  private Process startPrometheus(Lab lab) throws IOException {
    Path deploy = PrometheusRulesTest.DEPLOY;
    Files.writeString(
        lab.dir().resolve("prometheus-targets.json"),
        JSON.writeValueAsString(lab.prometheusTargets()));
    String config =
        Files.readString(deploy.resolve("prometheus.yml"))
            .replace("../../run/demo/", lab.dir().toAbsolutePath() + "/")
            .replace("  - alerts.yml", "  - " + deploy.resolve("alerts.yml"))
            .replace("interval: 5s", "interval: 1s");
    Path file = dir.resolve("prometheus.yml");
    Files.writeString(file, config);
    Cmd.run("promtool", "check", "config", file.toString());
    int port = LoopbackPorts.next();
    prometheus = "http://127.0.0.1:" + port;
    return new ProcessBuilder(
            "prometheus",
            "--config.file=" + file,
            "--storage.tsdb.path=" + dir.resolve("tsdb"),
            "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("prometheus.log").toFile())
        .start();
  }

  /** The instances whose last scrape succeeded, sorted. */
  private List<String> targetsUp() throws Exception {
    List<String> up = new ArrayList<>();
    for (JsonNode t : api("/api/v1/targets").path("activeTargets")) {
      if (t.path("health").asText().equals("up")) {
        up.add(t.path("labels").path("instance").asText());
      }
    }
    return up.stream().sorted().toList();
  }

  private List<JsonNode> query(String promql) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
        .path("result")
        .forEach(out::add);
    return out;
  }

  /** The alerts named {@code name} now, as {@code coreapp:state}. */
  private List<String> alerts(String name) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode a : api("/api/v1/alerts").path("alerts")) {
      if (a.path("labels").path("alertname").asText().equals(name)) {
        out.add(a.path("labels").path("coreapp").asText() + ":" + a.path("state").asText());
      }
    }
    return out;
  }

  private JsonNode api(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(prometheus + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(r.body());
    return Optional.of(body.path("data")).filter(d -> r.statusCode() == 200).orElseThrow();
  }
}
