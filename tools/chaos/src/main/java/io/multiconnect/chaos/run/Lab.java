package io.multiconnect.chaos.run;

import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.net.LoopbackPorts;
import io.multiconnect.proto.v1.ClusterStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster as separate JVM processes: the database, the upstream simulator, three masters, the
 * coreapps and the webapps, each in its own place in the {@link Network}, each logging to {@code
 * DIR/logs/ID.log}. It signals only the processes it started (by the pid it got when starting them,
 * and that process's own descendants, such as the database server of the database wrapper), and
 * {@link #close} kills every one of them. The chaos harness and the benchmarks (tools/bench) run
 * their clusters in it.
 */
public final class Lab implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Lab.class);

  /** How a node is started again after a kill. */
  record Node(String id, String role, List<String> command, Map<String, String> env) {}

  /**
   * The lab's shape and how its JVMs run.
   *
   * @param leaseJournal whether coreapps journal their lease intervals (the chaos checkers read
   *     them)
   * @param clockControl whether nodes read a clock-skew file ({@link #skew})
   * @param upstreamEvents the upstream simulator's {@code --max-events}: its event log and the
   *     window in which it recognizes a resend, about 360 bytes of heap each
   */
  public record Options(
      int shards,
      int coreapps,
      int webapps,
      List<String> jvmFlags,
      boolean leaseJournal,
      boolean clockControl,
      int upstreamEvents) {

    /**
     * The chaos harness's lab: 2 shards, 4 coreapps, 2 webapps, small quick-starting JVMs. The
     * checkers read every upstream event: a run logs a few tens of thousands, 200 000 fit the heap.
     */
    public static Options chaos() {
      return new Options(
          2,
          4,
          2,
          List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
          true,
          true,
          200_000);
    }
  }

  /** A lab that took its settings: an admin client logged in, and its authorization header. */
  public record Ready(AdminClient admin, String authorization) {}

  public final List<String> masters = List.of("m1", "m2", "m3");
  public final List<String> coreapps;
  public final List<String> webapps;
  private final Options options;
  private final Path dir;
  private final String classpath;
  private final Network net;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, Process> running = new LinkedHashMap<>();
  private final Map<String, Integer> ports = new LinkedHashMap<>();

  public Lab(Path dir, String classpath, Network net, Options options) throws IOException {
    this.options = options;
    this.coreapps = IntStream.rangeClosed(1, options.coreapps()).mapToObj(i -> "c" + i).toList();
    this.webapps = IntStream.rangeClosed(1, options.webapps()).mapToObj(i -> "w" + i).toList();
    this.dir = dir;
    this.classpath = classpath;
    this.net = net;
    Files.createDirectories(dir.resolve("logs"));
    for (String id : all()) {
      net.add(id);
    }
  }

  public List<String> all() {
    List<String> out = new ArrayList<>(List.of("db", "upstream"));
    out.addAll(masters);
    out.addAll(coreapps);
    out.addAll(webapps);
    return out;
  }

  /** A port for one service of a node: fixed in namespaces, distinct on loopback. */
  private int port(String node, String service, int fixed) {
    String key = node + "/" + service;
    Integer known = ports.get(key);
    if (known != null) {
      return known;
    }
    int port = net.ownAddresses() ? fixed : LoopbackPorts.next();
    ports.put(key, port);
    try {
      net.expose(node, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return port;
  }

  /** A master's API address, as the harness reaches it. */
  public String apiAddress(String master) {
    return net.clientHost(master) + ":" + port(master, "api", 9881);
  }

  /** The masters' API addresses, as the harness reaches them. */
  public List<String> masterApis() {
    return masters.stream().map(this::apiAddress).toList();
  }

  /** A webapp's base URL, as the harness reaches it. */
  public String webappUrl(String webapp) {
    return "http://" + net.clientHost(webapp) + ":" + port(webapp, "http", 9090);
  }

  /** The upstream simulator's address, as the harness reaches it. */
  public String upstreamAddress() {
    return net.clientHost("upstream") + ":" + port("upstream", "grpc", 9800);
  }

  /** A coreapp's gRPC address, as the harness reaches it. */
  public String coreappAddress(String coreapp) {
    return net.clientHost(coreapp) + ":" + port(coreapp, "grpc", 9891);
  }

  /** The mirror database's JDBC URL, as the harness reaches it. */
  public String mirrorJdbcUrl() {
    return jdbc(net.clientHost("db"));
  }

  private String jdbc(String dbHost) {
    return "jdbc:mysql://"
        + dbHost
        + ":"
        + port("db", "sql", 3306)
        + "/multiconnect?createDatabaseIfNotExist=true&sslMode=DISABLED&connectTimeout=1000";
  }

  /** {@code node:port} as the nodes' configurations name it. */
  private String configured(String node, String service, int fixed) {
    return net.host(node) + ":" + port(node, service, fixed);
  }

  Path journal(String coreapp) {
    return dir.resolve("journal-" + coreapp + ".jsonl");
  }

  public Path logs() {
    return dir.resolve("logs");
  }

  /** Starts every node: database, upstream, masters, then coreapps and webapps. */
  public void start() throws IOException {
    int dbPort = port("db", "sql", 3306);
    String jdbc = jdbc(net.host("db"));
    define(
        "db",
        "database",
        List.of(
            "io.multiconnect.dataplane.EmbeddedDatabaseMain",
            "--port",
            Integer.toString(dbPort),
            "--dir",
            dir.resolve("db").toString(),
            "--bind",
            net.bindAddress("db")),
        Map.of());
    define(
        "upstream",
        "upstream",
        List.of(
            "io.multiconnect.dataplane.upstream.UpstreamSimulator",
            "--host",
            net.host("upstream"),
            "--port",
            Integer.toString(port("upstream", "grpc", 9800)),
            "--max-events",
            Integer.toString(options.upstreamEvents())),
        Map.of());
    String peers =
        masters.stream()
            .map(
                m ->
                    m
                        + ":"
                        + net.host(m)
                        + ":"
                        + port(m, "raft", 9871)
                        + ":"
                        + port(m, "api", 9881))
            .collect(Collectors.joining(","));
    for (String m : masters) {
      Path config = dir.resolve(m + ".properties");
      Files.writeString(
          config,
          "node.id="
              + m
              + "\npeers="
              + peers
              + "\ndata.dir="
              + dir.resolve(m)
              + "\ninitial.shards="
              + options.shards()
              + "\nmirror.jdbc.url="
              + jdbc
              + "\nmirror.user=root\n");
      define(
          m,
          "master",
          List.of("io.multiconnect.master.MasterMain", "--config", config.toString()),
          Map.of());
    }
    Map<String, String> mirror =
        Map.of(
            "MC_MIRROR_JDBC_URL", jdbc, "MC_MIRROR_USER", "root", "MC_DB_HEARTBEAT_INTERVAL", "1");
    String masterList =
        masters.stream().map(m -> configured(m, "api", 9881)).collect(Collectors.joining(","));
    for (String c : coreapps) {
      Map<String, String> env = new LinkedHashMap<>(mirror);
      env.put("MC_COREAPP_ID", c);
      env.put("MC_COREAPP_ADDRESS", net.host(c) + ":" + port(c, "grpc", 9891));
      env.put("MC_MASTERS", masterList);
      env.put("MC_UPSTREAM", configured("upstream", "grpc", 9800));
      if (options.leaseJournal()) {
        env.put("MC_LEASE_JOURNAL", journal(c).toString());
      }
      define(c, "coreapp", List.of("io.multiconnect.dataplane.coreapp.CoreappMain"), env);
    }
    for (String w : webapps) {
      Map<String, String> env = new LinkedHashMap<>(mirror);
      env.put("MC_WEBAPP_ID", w);
      env.put("MC_WEBAPP_ADDRESS", configured(w, "http", 9090));
      env.put("MC_MASTERS", masterList);
      define(w, "webapp", List.of("io.multiconnect.dataplane.webapp.WebappMain"), env);
    }
    for (String id : nodes.keySet()) {
      start(id);
    }
  }

  private void define(String id, String role, List<String> mainAndArgs, Map<String, String> env) {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(options.jvmFlags());
    // One line per collection pause with its real and CPU time (a pause far longer than its CPU
    // time waited for a core): one file per process, so a restart keeps the earlier one's.
    command.add("-Xlog:gc,gc+cpu:file=" + logs().resolve(id + "-gc-%p.log") + ":time,uptime");
    command.addAll(List.of("-cp", classpath));
    command.addAll(mainAndArgs);
    Map<String, String> withClock = new LinkedHashMap<>(env);
    boolean clustered = masters.contains(id) || coreapps.contains(id) || webapps.contains(id);
    if (options.clockControl() && clustered) {
      withClock.put("MC_CLOCK_CONTROL", clockFile(id).toString());
    }
    nodes.put(id, new Node(id, role, command, withClock));
  }

  private Path clockFile(String node) {
    return dir.resolve("clock-" + node);
  }

  /**
   * Skews a node's clocks through its {@code MC_CLOCK_CONTROL} file (read within 50 ms, and at
   * start, so a restarted node keeps the skew): the monotonic clock runs at {@code 1 + rate}, the
   * wall clock is {@code wallOffsetMs} off. {@code skew(node, 0, 0)} restores both rates.
   */
  void skew(String node, double rate, long wallOffsetMs) throws IOException {
    Path file = clockFile(node);
    Path next = dir.resolve("clock-" + node + ".next");
    Files.writeString(next, "rate=" + rate + " wall_offset_ms=" + wallOffsetMs + "\n");
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Starts (or restarts) a node's process. */
  public synchronized void start(String id) throws IOException {
    Node n = nodes.get(id);
    ProcessBuilder pb = new ProcessBuilder(net.wrap(id, n.command()));
    pb.environment().keySet().removeIf(k -> k.startsWith("MC_") || k.equals("WA_API_KEY"));
    pb.environment().putAll(n.env());
    pb.redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logs().resolve(id + ".log").toFile()));
    Process p = pb.start();
    running.put(id, p);
    LOG.info("started {} ({}) pid {}", id, n.role(), p.pid());
  }

  public synchronized Optional<Process> process(String id) {
    return Optional.ofNullable(running.get(id)).filter(Process::isAlive);
  }

  /** SIGKILL to the node's process and its descendants; waits until it is gone. */
  public synchronized void kill(String id) {
    Process p = running.remove(id);
    if (p == null) {
      return;
    }
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM (graceful stop) and wait up to 15 s, then SIGKILL. */
  synchronized void stop(String id) {
    Process p = running.get(id);
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        LOG.warn("{} did not stop on SIGTERM in 15 s: SIGKILL", id);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    kill(id);
  }

  /** SIGSTOP or SIGCONT to the node's process and its descendants. */
  synchronized void signal(String id, String signal) throws IOException {
    Process p = running.get(id);
    if (p == null) {
      return;
    }
    List<Long> pids = new ArrayList<>();
    pids.add(p.pid());
    p.descendants().forEach(d -> pids.add(d.pid()));
    for (long pid : pids) {
      Cmd.quietly("kill", "-" + signal, Long.toString(pid));
    }
  }

  Network network() {
    return net;
  }

  /**
   * Logs in as admin (setting {@code password} on the first login), sets the cluster's heartbeat
   * and unhealthy intervals, and waits until every shard has a primary, every coreapp is registered
   * and every webapp routes.
   */
  public Ready ready(long heartbeatMs, long unhealthyMs, String password, Duration timeout) {
    AdminClient anonymous =
        new AdminClient(masterApis(), Duration.ofSeconds(2), 3, Duration.ofMillis(200));
    long deadline = System.nanoTime() + timeout.toNanos();
    String token = null;
    while (token == null) {
      try {
        token = anonymous.login("admin", "secret", password).getToken();
      } catch (AdminException e) {
        try {
          // A first attempt may have changed the password before its answer was lost.
          token = anonymous.login("admin", password, "").getToken();
        } catch (AdminException again) {
          giveUpAfter(deadline, "no leader took the login: " + e.getMessage(), 500);
        }
      }
    }
    String authorization = "Bearer " + token; // the REST API takes the masters' tokens too
    AdminClient admin = anonymous.withAuthorization(authorization);
    while (true) {
      try {
        admin.updateSettings(heartbeatMs, unhealthyMs);
        break;
      } catch (AdminException e) {
        // An election while the lab starts on a loaded machine: try the next leader.
        giveUpAfter(deadline, "no leader took the settings: " + e.getMessage(), 500);
      }
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    while (true) {
      try {
        ClusterStatus s = admin.status();
        boolean primaries =
            s.getShardMap().getAssignmentsCount() == s.getShardMap().getShardCount();
        boolean registered = s.getCoreappsCount() >= coreapps.size();
        if (primaries && registered && webappsRoute(http)) {
          return new Ready(admin, authorization);
        }
      } catch (AdminException e) {
        LOG.info("waiting for the cluster: {}", e.getMessage());
      }
      giveUpAfter(
          deadline,
          "not every shard had a primary and a route after " + timeout.toSeconds() + " s",
          500);
    }
  }

  private boolean webappsRoute(HttpClient http) {
    return webapps.stream()
        .allMatch(w -> Observer.table(http, webappUrl(w)).filter(t -> !t.isEmpty()).isPresent());
  }

  /**
   * The status as the leader answers it: a follower that restarted late may still be catching up,
   * and its older table is not the one the leader holds.
   */
  public static ClusterStatus leaderStatus(AdminClient admin) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      ClusterStatus s = admin.status();
      if (s.getAnsweredBy().equals(s.getLeader().getLeaderId())) {
        return s;
      }
      giveUpAfter(
          deadline,
          "no leader answered the status in 30 s (last from " + s.getAnsweredBy() + ")",
          200);
    }
  }

  /** Throws {@code problem} past the deadline, else pauses. */
  private static void giveUpAfter(long deadlineNanos, String problem, long pauseMs) {
    if (System.nanoTime() > deadlineNanos) {
      throw new IllegalStateException(problem);
    }
    try {
      Thread.sleep(pauseMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  @Override
  public synchronized void close() {
    for (String id : new ArrayList<>(running.keySet())) {
      signalQuietly(id, "CONT");
      kill(id);
    }
    net.close();
  }

  private void signalQuietly(String id, String signal) {
    try {
      signal(id, signal);
    } catch (IOException e) {
      LOG.warn("{}: {}", id, e.toString());
    }
  }
}
