package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiconnect.client.AdminClient;
import io.multiconnect.common.tls.NodeTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/multiconnect demo} as a user runs it, as a real process tree: it serves, survives a
 * {@code kill -9} of a coreapp (the coreapp is started again and heartbeats), and SIGTERM stops
 * every process it started and frees every port.
 */
@Tag("slow")
class DemoTest {
  @TempDir Path dir;

  @Test
  void survivesTheKillOfACoreappAndLeavesNothingBehindWhenStopped() throws Exception {
    int base = PortPlan.freeBase();
    int http = base + 60;
    Path out = dir.resolve("demo.out");
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                DemoMain.class.getName()));
    command.addAll(DemoMain.smallest(base, http, dir.resolve("demo")));
    Process demo = Launcher.start(command, java.util.Map.of(), out);
    Set<Long> started = new HashSet<>();
    List<Integer> ports = new ArrayList<>();
    try {
      await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> Files.readString(out).contains("multiconnect: ready at"));
      JsonNode nodes = clusterFile().path("nodes");
      nodes.forEach(
          n -> {
            started.add(n.path("pid").asLong());
            n.fields()
                .forEachRemaining(
                    f -> {
                      if (f.getKey().endsWith("_port")) {
                        ports.add(f.getValue().asInt());
                      }
                    });
          });
      // db, upstream, m1 (Raft, API, metrics), c1 and c2 (gRPC, metrics), w1
      assertEquals(10, ports.size(), nodes.toString());
      // Prometheus's targets: every master, coreapp and webapp, each answering with the API key.
      JsonNode targets =
          new ObjectMapper().readTree(dir.resolve("demo/prometheus-targets.json").toFile());
      assertEquals(4, targets.size(), targets.toString());
      String key = Files.readString(dir.resolve("demo/api-key")).trim();
      for (JsonNode t : targets) {
        var scraped =
            java.net.http.HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(
                                "http://" + t.path("targets").get(0).asText() + "/metrics"))
                        .header("Authorization", "Apikey " + key)
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        String role = t.path("labels").path("role").asText();
        assertEquals(200, scraped.statusCode(), t.toString());
        assertTrue(scraped.body().contains("multiconnect_" + role + "_"), t.toString());
      }
      Set<Long> descendants = new HashSet<>();
      demo.descendants().forEach(d -> descendants.add(d.pid()));
      assertTrue(descendants.containsAll(started), "every node is the demo's own process");
      for (long pid : started) {
        String commandLine =
            Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
        if (commandLine.contains("io.multiconnect.")) { // a JVM, not the database server
          assertTrue(
              commandLine.contains(Launcher.NODE_FLAGS.get(0)),
              "a node runs with the product's JVM options: " + commandLine);
          assertEquals(
              commandLine.contains("io.multiconnect.master.MasterMain"),
              commandLine.contains(Launcher.MASTER_FLAGS.get(0)),
              "masters, and only they, run the quick compiler only: " + commandLine);
        }
      }

      long c1 = pidOf("c1");
      ProcessHandle.of(c1).orElseThrow().destroyForcibly(); // kill -9, by a pid checked above
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pidOf("c1") != c1 && ProcessHandle.of(pidOf("c1")).isPresent());
      started.add(pidOf("c1"));
      assertNotEquals(c1, pidOf("c1"));
      assertTrue(Files.readString(out).contains("c1 exited; starting it again"));
      Path tls = dir.resolve("demo").resolve("tls");
      try (NodeTls operator =
              NodeTls.of(
                  new NodeTls.Files(
                      tls.resolve("client-admin-mcctl/admin-mcctl.crt"),
                      tls.resolve("client-admin-mcctl/admin-mcctl.key"),
                      tls.resolve("ca/ca.crt")),
                  NodeTls.REFRESH);
          AdminClient admin = new AdminClient(List.of("127.0.0.1:" + (base + 11)), operator)) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    admin.status().getCoreappsList().stream()
                        .anyMatch(c -> c.getId().equals("c1") && c.getHealthy()));
      }

      demo.destroy(); // SIGTERM, to the process this test started
      assertTrue(Launcher.waitFor(demo, 60), "the demo stops within a minute");
      assertTrue(Files.readString(out).contains("multiconnect: stopped"));
      for (long pid : started) {
        assertTrue(ProcessHandle.of(pid).isEmpty(), "process " + pid + " is gone");
      }
      for (int port : ports) {
        assertTrue(!accepts(port), "nothing listens on " + port + " any more");
      }
    } finally {
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }

  private JsonNode clusterFile() throws IOException {
    return new ObjectMapper().readTree(dir.resolve("demo/cluster.json").toFile());
  }

  private long pidOf(String id) throws IOException {
    for (JsonNode n : clusterFile().path("nodes")) {
      if (n.path("id").asText().equals(id)) {
        return n.path("pid").asLong();
      }
    }
    throw new IllegalStateException(id + " not in cluster.json");
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
