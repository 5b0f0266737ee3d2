package io.multiconnect.dist;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.dataplane.NodeSettings;
import io.multiconnect.dataplane.coreapp.CoreappConfig;
import io.multiconnect.lab.DemoMain;
import io.multiconnect.lab.Launcher;
import io.multiconnect.lab.PortPlan;
import io.multiconnect.master.config.MasterConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball {@code mvn package} makes, as an operator gets it: unpacked in a directory of its
 * own, it holds the launcher, mcctl, every jar, a commented configuration per role and systemd
 * units that {@code systemd-analyze verify} accepts; its demo starts, serves and stops with only a
 * Java runtime and the system's commands on the {@code PATH} (no Maven) and the source tree out of
 * reach.
 */
@Tag("slow")
class DistributionTest {
  private static final List<String> ROLES = List.of("master", "coreapp", "webapp");

  @TempDir Path dir;

  @Test
  void unpackedItRunsTheDemoWithoutMavenOrTheSourceTree() throws Exception {
    Path home = unpack();
    assertTrue(Files.isExecutable(home.resolve("bin/multiconnect")));
    assertTrue(Files.isExecutable(home.resolve("bin/mcctl")));
    // The examples are what their roles read.
    MasterConfig master = MasterConfig.load(home.resolve("conf/master.properties"), Map.of());
    assertEquals(3, master.peers().size());
    assertEquals(
        "/etc/multiconnect/tls/m1.crt",
        MasterConfig.tlsSettings(home.resolve("conf/master.properties"), Map.of())
            .get("MC_TLS_CERT"));
    CoreappConfig coreapp =
        CoreappConfig.fromEnv(
            NodeSettings.load(
                new String[] {"--config", home.resolve("conf/coreapp.properties").toString()},
                Map.of()));
    assertEquals("c1", coreapp.id());
    Map<String, String> webapp =
        NodeSettings.load(
            new String[] {"--config", home.resolve("conf/webapp.properties").toString()}, Map.of());
    assertEquals(3, Endpoints.parseList("MC_MASTERS", webapp.get("MC_MASTERS")).size());
    try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
      assertTrue(
          lib.anyMatch(j -> j.getFileName().toString().startsWith("multiconnect-lab-")),
          "lib/ holds every role");
    }
    verifyUnits(home);

    Path path = toolsOnly();
    int base = PortPlan.freeBase();
    int http = base + 60;
    Path demoDir = dir.resolve("demo");
    Path out = dir.resolve("demo.out");
    List<String> command =
        new ArrayList<>(List.of(home.resolve("bin/multiconnect").toString(), "demo"));
    command.addAll(DemoMain.smallest(base, http, demoDir));
    Process demo = start(path, out, Map.of(), command.toArray(String[]::new));
    try {
      try {
        await()
            .atMost(Duration.ofSeconds(150))
            .until(
                () -> !demo.isAlive() || Files.readString(out).contains("multiconnect: ready at"));
        assertTrue(demo.isAlive(), "the demo exited:\n" + Files.readString(out));
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("the demo did not start:\n" + Files.readString(out), e);
      }
      JsonNode nodes = new ObjectMapper().readTree(demoDir.resolve("cluster.json").toFile());
      List<String> withMetrics = new ArrayList<>();
      nodes
          .path("nodes")
          .forEach(
              n -> {
                if (n.has("metrics_port")) {
                  withMetrics.add(n.path("id").asText());
                }
              });
      assertEquals(List.of("m1", "c1", "c2"), withMetrics, nodes.toString());
      HttpResponse<String> health =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/v1/health"))
                      .header(
                          "Authorization",
                          "Apikey " + Files.readString(demoDir.resolve("api-key")).trim())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode(), health.body());

      Path tls = demoDir.resolve("tls");
      Path status = dir.resolve("status.out");
      Process mcctl = mcctl(home, path, tls, status, base + 11, "--json", "status");
      assertTrue(Launcher.waitFor(mcctl, 60), "mcctl status returns");
      assertEquals(0, mcctl.exitValue(), Files.readString(status));
      assertTrue(Files.readString(status).contains("\"m1\""), Files.readString(status));
      supportBundle(home, path, tls, demoDir, base + 11);
      classDataSharingAndJsonLogs(home, path, base + 90);

      List<ProcessHandle> tree = demo.descendants().toList();
      demo.destroy(); // SIGTERM, to the process this test started
      assertTrue(Launcher.waitFor(demo, 60), "the demo stops within a minute");
      assertTrue(Files.readString(out).contains("multiconnect: stopped"));
      for (ProcessHandle p : tree) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !p.isAlive());
      }
    } finally {
      Launcher.kill(demo);
    }
  }

  /**
   * {@code mcctl support-bundle} collects the cluster's status and settings and every node's
   * metrics and last log lines into one owner-only archive, with nothing missing.
   */
  private void supportBundle(Path home, Path path, Path tls, Path demoDir, int masterPort)
      throws Exception {
    Path bundle = dir.resolve("bundle.zip");
    Path said = dir.resolve("bundle.out");
    Process mcctl =
        mcctl(
            home,
            path,
            tls,
            said,
            masterPort,
            "support-bundle",
            "--targets",
            demoDir.resolve("prometheus-targets.json").toString(),
            "--api-key-file",
            demoDir.resolve("api-key").toString(),
            "--out",
            bundle.toString());
    assertTrue(Launcher.waitFor(mcctl, 60), "mcctl support-bundle returns");
    assertEquals(0, mcctl.exitValue(), Files.readString(said));
    assertTrue(
        Files.readString(said).contains("(10 of 10 parts collected)"), Files.readString(said));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(bundle)));
    Map<String, String> entries = new HashMap<>();
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(bundle))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        entries.put(e.getName(), new String(zip.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    String root = "multiconnect-support/";
    assertTrue(entries.get(root + "cluster/status.json").contains("\"leader\" : \"m1\""));
    assertTrue(entries.get(root + "cluster/settings.json").contains("\"unhealthy_interval\""));
    for (String node : List.of("master-m1", "coreapp-c1", "coreapp-c2", "webapp-w1")) {
      String role = node.substring(0, node.indexOf('-'));
      assertTrue(
          entries.get(root + "nodes/" + node + "/metrics.txt").contains("multiconnect_" + role),
          node);
      assertTrue(
          entries.get(root + "nodes/" + node + "/logs.txt").contains(" INFO "),
          node + ": " + entries.get(root + "nodes/" + node + "/logs.txt"));
    }
    assertTrue(
        !entries.get(root + "manifest.json").contains("\"error\""),
        entries.get(root + "manifest.json"));
  }

  /**
   * {@code bin/multiconnect cds} makes an archive per role, and a webapp started with {@code
   * -Xshare:on} (which stops a JVM that cannot map its archive) and {@code MC_LOG_FORMAT=json} runs
   * and writes every line as a JSON object: the class path holds the logging binding, and
   * java.util.logging's records come the same way.
   */
  private void classDataSharingAndJsonLogs(Path home, Path path, int port) throws Exception {
    Path cds = dir.resolve("cds.out");
    Process made = start(path, cds, Map.of(), home.resolve("bin/multiconnect").toString(), "cds");
    assertTrue(Launcher.waitFor(made, 120), "cds returns");
    assertEquals(0, made.exitValue(), Files.readString(cds));
    for (String role : ROLES) {
      assertTrue(Files.size(home.resolve("lib/" + role + ".jsa")) > 0, role);
    }
    Path log = dir.resolve("webapp.out");
    Process webapp =
        start(
            path,
            log,
            Map.of(
                "MC_LOG_FORMAT",
                "json",
                "MC_TLS",
                "plaintext",
                "JAVA_OPTS",
                "-Xshare:on",
                "MC_WEBAPP_ADDRESS",
                "127.0.0.1:" + port,
                "MC_MASTERS",
                "127.0.0.1:" + (port + 1),
                "MC_MEDIA_DIR",
                dir.resolve("media").toString()),
            home.resolve("bin/multiconnect").toString(),
            "webapp");
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !webapp.isAlive() || Files.readString(log).contains("webapp listening"));
      assertTrue(webapp.isAlive(), Files.readString(log));
    } finally {
      Launcher.kill(webapp);
    }
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(log);
    assertTrue(lines.size() >= 2, String.join("\n", lines));
    for (String line : lines) {
      JsonNode event = json.readTree(line); // throws unless every line is one JSON object
      assertTrue(event.has("ts") && event.has("level") && event.has("msg"), line);
    }
  }

  /** The tarball unpacked in the test's directory; its top directory. */
  private Path unpack() throws Exception {
    Path tarball = Path.of(System.getProperty("dist.tarball"));
    Process tar =
        new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", dir.toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(Launcher.waitFor(tar, 120), "tar returns");
    assertEquals(
        0,
        tar.exitValue(),
        new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    return dir.resolve(System.getProperty("dist.name"));
  }

  /**
   * Every unit, as installed with the distribution at {@code home} instead of /opt/multiconnect,
   * passes {@code systemd-analyze verify} (which also checks that its command is executable).
   */
  private void verifyUnits(Path home) throws Exception {
    Path units = Files.createDirectories(dir.resolve("units"));
    List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
    for (String role : ROLES) {
      String name = "multiconnect-" + role + ".service";
      String unit = Files.readString(home.resolve("deploy/systemd/" + name));
      assertTrue(unit.contains("Restart=on-failure") && unit.contains("ProtectSystem=strict"));
      Files.writeString(units.resolve(name), unit.replace("/opt/multiconnect", home.toString()));
      command.add(units.resolve(name).toString());
    }
    Process verify = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(Launcher.waitFor(verify, 60), "systemd-analyze returns");
    String said = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, verify.exitValue(), said);
    assertEquals("", said.strip(), "no warning about any unit");
  }

  /**
   * A directory of the host's commands ({@code /usr/bin}, {@code /bin} and the {@code sbin}s) less
   * Maven, and this test's Java runtime: a host with a Java runtime and no build tools.
   */
  private Path toolsOnly() throws IOException {
    Path bin = Files.createDirectories(dir.resolve("path"));
    Files.createSymbolicLink(
        bin.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
    for (String system : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
      try (Stream<Path> commands = Files.list(Path.of(system))) {
        for (Path c : (Iterable<Path>) commands::iterator) {
          Path link = bin.resolve(c.getFileName().toString());
          if (!c.getFileName().toString().startsWith("mvn")
              && !Files.exists(link, NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(link, c);
          }
        }
      }
    }
    return bin;
  }

  /**
   * {@code command} in the test's directory, with an environment of its {@code PATH}, a home and
   * {@code env} alone; its output to {@code out}.
   */
  /** The tarball's mcctl with the demo's operator certificate (in {@code tls}), on one master. */
  private Process mcctl(Path home, Path path, Path tls, Path out, int masterPort, String... args)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(home.resolve("bin/mcctl").toString(), "--masters", "127.0.0.1:" + masterPort));
    command.addAll(List.of(args));
    return start(
        path,
        out,
        Map.of(
            "MC_TLS_CERT", tls.resolve("client-admin-mcctl/admin-mcctl.crt").toString(),
            "MC_TLS_KEY", tls.resolve("client-admin-mcctl/admin-mcctl.key").toString(),
            "MC_TLS_CA", tls.resolve("ca/ca.crt").toString()),
        command.toArray(String[]::new));
  }

  private Process start(Path path, Path out, Map<String, String> env, String... command)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.environment().put("PATH", path.toString());
    pb.environment().put("HOME", dir.toString());
    pb.redirectErrorStream(true).redirectOutput(out.toFile());
    return pb.start();
  }
}
