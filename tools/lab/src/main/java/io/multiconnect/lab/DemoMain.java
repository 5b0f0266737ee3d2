package io.multiconnect.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.multiconnect.client.AdminClient;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.shard.ShardCounts;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.proto.v1.ClusterStatus;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/multiconnect demo}: a whole cluster on loopback as separate processes, run by the
 * {@link Lab}. Waits until it serves, writes {@code DIR/cluster.json} (every node: role, id, pid,
 * ports), prints one ready line, and keeps every node running: a node that exits (a crash, a {@code
 * kill -9}) is started again after a short delay ({@link Supervisor}). Ctrl-C or SIGTERM stops
 * every process it started, in order, and then the JVM exits as signalled (130 after Ctrl-C, 143
 * after SIGTERM). Other exit codes: 1 the cluster did not start (every node it started is stopped),
 * 2 bad usage.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Runs a local cluster on loopback: an embedded MariaDB for the mirror (unless one is"
            + " given), the masters, the coreapps, the upstream simulator and a webapp.")
public final class DemoMain implements Callable<Integer> {
  static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  static final Duration STOP_GRACE = Duration.ofSeconds(15);

  @Option(names = "--masters", description = "1, 3 or 5 (default 3).")
  int masters = 3;

  @Option(names = "--shards", description = "One of " + ShardCounts.LIST + " (default 1).")
  int shards = 1;

  @Option(names = "--coreapps", description = "At least --shards (default: --shards + 1).")
  Integer coreapps;

  @Option(
      names = "--base-port",
      description =
          "Master i listens on BASE+i (Raft), BASE+10+i (API) and BASE+20+i (metrics), the"
              + " upstream simulator on BASE+30, the database on BASE+31, coreapp i on BASE+40+i"
              + " and BASE+100+i (metrics) (default 9870).")
  int basePort = 9870;

  @Option(names = "--http-port", description = "The webapp's REST API (default 9090).")
  int httpPort = 9090;

  @Option(
      names = "--dir",
      description =
          "Logs, data and cluster.json (default run/demo in the checkout). A second start in the"
              + " same directory finds the cluster (users, shard count) as it was left.")
  Path dir = Path.of(System.getProperty("multiconnect.demo.dir", "run/demo"));

  @Option(
      names = "--plaintext",
      description =
          "No TLS between the nodes (every node logs a warning): for a local experiment only.")
  boolean plaintext;

  @Option(
      names = "--fresh",
      description = "Removes the cluster a previous demo left in --dir before starting.")
  boolean fresh;

  @Option(
      names = "--mirror-config",
      description =
          "A properties file with mirror.jdbc.url, mirror.user and mirror.password: the MySQL to"
              + " mirror to instead of the embedded MariaDB (also MC_MIRROR_JDBC_URL,"
              + " MC_MIRROR_USER, MC_MIRROR_PASSWORD).")
  Path mirrorConfig;

  /**
   * The arguments of the smallest demo that shows every role: one master and two coreapps, on the
   * ports of {@link PortPlan#fromBase} from {@code base} and {@code http}, in {@code dir}.
   */
  public static List<String> smallest(int base, int http, Path dir) {
    return List.of(
        "--masters",
        "1",
        "--coreapps",
        "2",
        "--base-port",
        Integer.toString(base),
        "--http-port",
        Integer.toString(http),
        "--dir",
        dir.toString());
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Optional<String> bad = checkUsage();
    if (bad.isPresent()) {
      System.err.println("multiconnect demo: " + bad.get());
      return 2;
    }
    Optional<MirrorSettings> mirror;
    try {
      mirror = mirror();
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("multiconnect demo: " + e.getMessage());
      return 2;
    }
    int coreappCount = coreapps == null ? shards + 1 : coreapps;
    Optional<String> running = runningDemo(dir);
    if (running.isPresent()) {
      System.err.println("multiconnect demo: " + running.get());
      return 1;
    }
    if (fresh && !clear(dir)) {
      System.err.println(
          "multiconnect demo: --fresh: "
              + dir
              + " does not look like a demo's directory (no cluster.json and logs/)");
      return 2;
    }
    Files.createDirectories(dir);
    Lab lab =
        new Lab(
            dir,
            System.getProperty("java.class.path"),
            LoopbackNetwork.ownSessions(),
            Lab.Options.demo(masters, shards, coreappCount, basePort, httpPort, mirror, plaintext));
    Supervisor supervisor =
        new Supervisor(lab, RestartPolicy.standard(), restarted -> writeClusterFile(lab));
    CountDownLatch stopped = new CountDownLatch(1);
    Thread stop =
        new Thread(
            () -> {
              System.out.println("multiconnect: stopping...");
              supervisor.close();
              lab.stopAll(STOP_GRACE);
              lab.close();
              System.out.println("multiconnect: stopped");
              stopped.countDown();
            },
            "demo-stop");
    Runtime.getRuntime().addShutdownHook(stop);
    supervisor.start(); // before the nodes: one that exits while the others start comes back too
    try {
      lab.start();
    } catch (IOException e) {
      System.err.println("multiconnect demo: " + e.getMessage());
      return 1;
    }
    ClusterStatus status;
    try (AdminClient admin = lab.anonymousAdmin()) {
      status = lab.awaitServing(admin, READY_TIMEOUT);
    } catch (IllegalStateException e) {
      System.err.println(
          "multiconnect demo: " + e.getMessage() + "; see " + lab.logs().toAbsolutePath());
      return 1;
    }
    writeClusterFile(lab);
    lab.tlsAs(OPERATOR); // bin/multiconnect mcctl and upstream report use its certificate
    int actualShards = status.getShardMap().getShardCount();
    if (actualShards != shards) {
      System.out.println(
          "multiconnect: the cluster in "
              + dir
              + " has "
              + actualShards
              + " shard(s), not --shards "
              + shards
              + ": it was created before (mcctl shards set N, or --fresh)");
    }
    String url = "http://127.0.0.1:" + httpPort;
    System.out.println(
        "multiconnect: ready at "
            + url
            + " (leader "
            + status.getLeader().getLeaderId()
            + ", "
            + actualShards
            + " shard(s), "
            + coreappCount
            + " coreapps, "
            + masters
            + " masters; mirror "
            + lab.mirror().jdbcUrl().replaceFirst("\\?.*", "")
            + "). First login sets a new password: curl -s -u admin:secret -X POST "
            + url
            + "/v1/users/login -d '{\"new_password\":\"Ch4nge!me\"}'. Nodes: "
            + dir.resolve("cluster.json")
            + " (a node that exits is started again). "
            + (plaintext
                ? "Internal links are PLAINTEXT (--plaintext). "
                : "Internal links use mutual TLS: CA and certificates in "
                    + dir.resolve("tls")
                    + ". ")
            + "Ctrl-C stops.");
    stopped.await(); // until Ctrl-C or SIGTERM: the hook stops every node, then the JVM exits
    return 0;
  }

  /** The demo's operator: mcctl and the upstream report run with this identity's certificate. */
  static final NodeIdentity OPERATOR = new NodeIdentity(NodeIdentity.Role.ADMIN, "mcctl");

  /** Why the options cannot run, if they cannot. */
  Optional<String> checkUsage() {
    if (masters != 1 && masters != 3 && masters != 5) {
      return Optional.of("--masters must be 1, 3 or 5");
    }
    if (!ShardCounts.isAllowed(shards)) {
      return Optional.of("--shards must be one of " + ShardCounts.LIST);
    }
    if (coreapps != null && coreapps < shards) {
      return Optional.of("--coreapps must be at least --shards (" + shards + ")");
    }
    int highest = basePort + 100 + (coreapps == null ? shards + 1 : coreapps);
    if (basePort < 1024 || highest > 65535 || httpPort < 1024 || httpPort > 65535) {
      return Optional.of(
          "ports must be between 1024 and 65535 (the coreapps take --base-port + 100 + i)");
    }
    return Optional.empty();
  }

  private Optional<MirrorSettings> mirror() throws IOException {
    if (mirrorConfig != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(mirrorConfig)) {
        p.load(r);
      }
      return Optional.of(
          new MirrorSettings(
              p.getProperty("mirror.jdbc.url", ""),
              p.getProperty("mirror.user", "root"),
              p.getProperty("mirror.password", "")));
    }
    return MirrorSettings.fromEnv(System.getenv());
  }

  /**
   * Writes {@code cluster.json} and Prometheus's {@code prometheus-targets.json} anew (atomically:
   * a reader never sees half of one).
   */
  private static synchronized void writeClusterFile(Lab lab) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("dir", lab.dir().toAbsolutePath().toString());
    doc.put("url", lab.webappUrl(lab.webapps.get(0)));
    doc.put("nodes", lab.describe());
    writeAtomically(lab.dir().resolve("cluster.json"), doc);
    writeAtomically(lab.dir().resolve("prometheus-targets.json"), lab.prometheusTargets());
  }

  private static void writeAtomically(Path file, Object doc) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), doc);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      System.err.println("multiconnect: cannot write " + file.getFileName() + ": " + e);
    }
  }

  /** Why a demo still runs from {@code dir}, if one does: a node of its cluster.json is alive. */
  private static Optional<String> runningDemo(Path dir) throws IOException {
    Path file = dir.resolve("cluster.json");
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    for (JsonNode node : new ObjectMapper().readTree(file.toFile()).path("nodes")) {
      long pid = node.path("pid").asLong();
      if (pid > 0 && ProcessHandle.of(pid).isPresent()) {
        return Optional.of(
            "a demo still runs from "
                + dir
                + " ("
                + node.path("id").asText()
                + " is pid "
                + pid
                + "); stop it first");
      }
    }
    return Optional.empty();
  }

  /**
   * Removes what a previous demo left in {@code dir}: the lab's own files and directories (nodes'
   * data, the database, logs, configurations, cluster.json), nothing else. Touches only a directory
   * with the demo's cluster.json and logs/ in it (or none); false when it refuses.
   */
  private static boolean clear(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return true;
    }
    if (!Files.exists(dir.resolve("cluster.json")) || !Files.isDirectory(dir.resolve("logs"))) {
      return false;
    }
    try (DirectoryStream<Path> labFiles =
        Files.newDirectoryStream(
            dir, "{db,logs,m[0-9],*.properties,cluster.json,cluster.json.tmp}")) {
      for (Path top : labFiles) {
        try (Stream<Path> tree = Files.walk(top)) {
          for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }
    return true;
  }
}
