package io.multiconnect.lab;

import io.multiconnect.ca.CaFiles;
import io.multiconnect.ca.ClusterCa;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.metrics.MetricsEndpoint;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.mirror.MirrorTls;
import io.multiconnect.common.node.Zones;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.dataplane.media.MediaStore;
import io.multiconnect.proto.v1.ClusterStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster as separate JVM processes, the one way every whole cluster is run: the demo, the chaos
 * harness and the benchmarks. The database (unless an external one is given), the upstream
 * simulator, the masters, the coreapps and the webapps, each in its own place in the {@link
 * Network}, each logging to {@code DIR/logs/ID.log}. It signals only the processes it started (see
 * {@link Launcher}), and {@link #close} kills every one of them.
 *
 * <p>Thread-safe: the methods that start and stop processes are synchronized.
 */
public final class Lab implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Lab.class);

  /** The ids of the nodes that are not numbered. */
  public static final String DATABASE = "db";

  public static final String UPSTREAM = "upstream";

  /** Roles, in the order {@link #start()} starts them. */
  public enum Role {
    DATABASE,
    UPSTREAM,
    MASTER,
    COREAPP,
    WEBAPP;

    /** As logs and cluster.json write it: {@code master}. */
    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How a node is started, again after a kill. */
  private record Node(String id, Role role, List<String> command, Map<String, String> env) {}

  /**
   * The lab's shape and how its JVMs run.
   *
   * @param masters 1, 3 or 5
   * @param leaseJournal whether coreapps journal their lease intervals (the chaos checkers read
   *     them)
   * @param tls mutual TLS between every node and the harness, with certificates of a CA the lab
   *     keeps in {@code DIR/tls} (made on the first start); false: plaintext, which every node logs
   * @param twins whether each coreapp {@code cN} has a twin {@code tN}: a second process with the
   *     same coreapp id, its own address and journal, started only by {@link #start(String)}
   * @param clockControl whether nodes read a clock-skew file ({@link #skew})
   * @param upstreamEvents the upstream simulator's {@code --max-events}: its event log and the
   *     window in which it recognizes a resend, about 360 bytes of heap each
   * @param ports where each node listens when the network gives nodes no address of their own
   * @param mirror an external MySQL for the mirror; empty: an embedded MariaDB, node {@value
   *     #DATABASE}
   * @param nodeEnv more environment for coreapps and webapps
   */
  public record Options(
      int masters,
      int shards,
      int coreapps,
      int webapps,
      List<String> jvmFlags,
      boolean tls,
      boolean leaseJournal,
      boolean twins,
      boolean clockControl,
      int upstreamEvents,
      PortPlan ports,
      Optional<MirrorSettings> mirror,
      Map<String, String> nodeEnv) {

    public Options {
      if (masters != 1 && masters != 3 && masters != 5) {
        throw new IllegalArgumentException("masters: must be 1, 3 or 5, got " + masters);
      }
      jvmFlags = List.copyOf(jvmFlags);
      nodeEnv = Map.copyOf(nodeEnv);
    }

    /**
     * The chaos harness's lab: 3 masters, 2 shards, 4 coreapps, 2 webapps, small quick-starting
     * JVMs. The checkers read every upstream event: a run logs a few tens of thousands, 200 000 fit
     * the heap.
     */
    public static Options chaos() {
      return new Options(
          3,
          2,
          4,
          2,
          List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
          true,
          true,
          true,
          true,
          200_000,
          PortPlan.free(),
          Optional.empty(),
          FAST_DB_LIVENESS);
    }

    /**
     * The smallest cluster with TLS on: {@code masters} masters, 1 shard, 2 coreapps, 1 webapp,
     * small JVMs with {@code jvmFlags}, its nodes also given {@code nodeEnv} (the tests' labs and
     * the fuzz).
     */
    public static Options smallTls(
        int masters, List<String> jvmFlags, Map<String, String> nodeEnv) {
      return smallTls(masters, 2, jvmFlags, nodeEnv);
    }

    /** {@link #smallTls(int, List, Map)} with {@code coreapps} coreapps. */
    public static Options smallTls(
        int masters, int coreapps, List<String> jvmFlags, Map<String, String> nodeEnv) {
      return new Options(
          masters,
          1,
          coreapps,
          1,
          jvmFlags,
          true,
          false,
          false,
          false,
          0,
          PortPlan.free(),
          Optional.empty(),
          nodeEnv);
    }

    /** These options with {@code n} webapps. */
    public Options withWebapps(int n) {
      return new Options(
          masters,
          shards,
          coreapps,
          n,
          jvmFlags,
          tls,
          leaseJournal,
          twins,
          clockControl,
          upstreamEvents,
          ports,
          mirror,
          nodeEnv);
    }

    /** These options with every node's clocks skewable through {@link #skew}. */
    public Options withClockControl() {
      return new Options(
          masters,
          shards,
          coreapps,
          webapps,
          jvmFlags,
          tls,
          leaseJournal,
          twins,
          true,
          upstreamEvents,
          ports,
          mirror,
          nodeEnv);
    }

    /** These options with every JVM started with {@code flags}. */
    public Options withJvmFlags(List<String> flags) {
      return new Options(
          masters,
          shards,
          coreapps,
          webapps,
          flags,
          tls,
          leaseJournal,
          twins,
          clockControl,
          upstreamEvents,
          ports,
          mirror,
          nodeEnv);
    }

    /**
     * The benchmarks' lab: 3 masters, 2 shards, 3 coreapps, 1 webapp, JVMs with {@code jvm}, TLS
     * unless {@code plaintext}.
     */
    public static Options bench(List<String> jvm, boolean plaintext) {
      return new Options(
          3,
          2,
          3,
          1,
          jvm,
          !plaintext,
          false,
          false,
          false,
          20_000,
          PortPlan.free(),
          Optional.empty(),
          FAST_DB_LIVENESS);
    }

    /**
     * The demo: one webapp, ports from {@code base} ({@link PortPlan#fromBase}), the product's JVMs
     * ({@link Launcher#NODE_FLAGS}) and default settings, the upstream simulator's default event
     * log, TLS unless {@code plaintext}.
     */
    public static Options demo(
        int masters,
        int shards,
        int coreapps,
        int base,
        int httpPort,
        Optional<MirrorSettings> mirror,
        boolean plaintext) {
      return new Options(
          masters,
          shards,
          coreapps,
          1,
          Launcher.NODE_FLAGS,
          !plaintext,
          false,
          false,
          false,
          0,
          PortPlan.fromBase(base, httpPort),
          mirror,
          Map.of());
    }
  }

  /** Liveness rows every second, so the chaos checkers and benchmarks see them move. */
  private static final Map<String, String> FAST_DB_LIVENESS =
      Map.of("MC_DB_HEARTBEAT_INTERVAL", "1");

  /** A lab that took its settings: an admin client logged in, and its authorization header. */
  public record Ready(AdminClient admin, String authorization) {}

  public final List<String> masters;
  public final List<String> coreapps;
  public final List<String> webapps;

  /** The coreapps' twins ({@link Options#twins}), none running until started one by one. */
  public final List<String> twins;

  private final Options options;
  private final Path dir;
  private final String classpath;
  private final Network net;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, Process> running = new LinkedHashMap<>();

  /** Every node the lab started at least once. */
  private final Set<String> started = new HashSet<>(); // guarded by this

  /** Nodes being stopped or killed: not started again until their process is gone. */
  private final Set<String> ending = new HashSet<>();

  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private volatile Consumer<String> unexpectedExit = id -> {};

  /** The failure domain of each node that names one ({@link #zone}). */
  private final Map<String, String> zones = new HashMap<>();

  /**
   * The main class of each master that runs another than {@link #MASTER_MAIN} ({@link
   * #runMasterWith}).
   */
  private final Map<String, String> masterMains = new HashMap<>(); // guarded by this

  /** The exit status of each node's last process that ended without the lab stopping it. */
  private final Map<String, Integer> exitCodes = new HashMap<>(); // guarded by this

  private static final String MASTER_MAIN = "io.multiconnect.master.MasterMain";

  /** The lab's CA, with TLS on. */
  private final Optional<ClusterCa> ca;

  private final MirrorUsers mirrorUsers = MirrorUsers.random();

  /** The webapps' {@code WA_API_KEY}: health and metrics without a user's token. */
  private final String apiKey = randomKey();

  private MirrorSettings harnessMirror; // guarded by this: made on first use

  /** The harness's own TLS, per identity it speaks as; closed with the lab. */
  private final Map<NodeIdentity, NodeTls> clientTls = new HashMap<>(); // guarded by this

  /** Set once {@link #stopAll} or {@link #close} began: no process is started any more. */
  private boolean stopping; // guarded by this

  public Lab(Path dir, String classpath, Network net, Options options) throws IOException {
    this.options = options;
    this.masters = numbered("m", options.masters());
    this.coreapps = numbered("c", options.coreapps());
    this.webapps = numbered("w", options.webapps());
    this.twins = options.twins() ? numbered("t", options.coreapps()) : List.of();
    this.dir = dir;
    this.classpath = classpath;
    this.net = net;
    Files.createDirectories(dir.resolve("logs"));
    this.ca = options.tls() ? Optional.of(loadOrCreateCa()) : Optional.empty();
    for (String id : all()) {
      net.add(id);
    }
    for (String id : twins) {
      net.add(id);
    }
  }

  private static List<String> numbered(String prefix, int count) {
    return IntStream.rangeClosed(1, count).mapToObj(i -> prefix + i).toList();
  }

  private CaFiles tlsFiles(String name) {
    return new CaFiles(dir.resolve("tls").resolve(name));
  }

  /** The CA in {@code DIR/tls/ca}: the one a demo made on its first start, or a new one. */
  private ClusterCa loadOrCreateCa() throws IOException {
    CaFiles files = tlsFiles("ca");
    if (Files.exists(files.dir().resolve(CaFiles.CA_KEY))) {
      return files.readCa();
    }
    ClusterCa created = ClusterCa.create("lab", Instant.now(), CA_VALIDITY);
    files.writeCa(created);
    return created;
  }

  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  private static final Duration NODE_VALIDITY = Duration.ofDays(365);

  /**
   * A certificate for {@code identity} in {@code DIR/tls/NAME/}, naming the hosts the node is
   * reached at; the environment that makes a node use it.
   */
  private Map<String, String> tlsEnv(String name, NodeIdentity identity) throws IOException {
    if (ca.isEmpty()) {
      return Map.of(NodeTls.MODE, "plaintext");
    }
    CaFiles files = issue(name, identity, ca.get());
    Map<String, String> env = new LinkedHashMap<>();
    env.put(NodeTls.CERT, files.certificate(identity).toString());
    env.put(NodeTls.KEY, files.key(identity).toString());
    env.put(NodeTls.CA, trustFile().toString());
    Optional.ofNullable(options.nodeEnv().get(NodeTls.REFRESH_ENV))
        .ifPresent(ms -> env.put(NodeTls.REFRESH_ENV, ms));
    return env;
  }

  /** Writes a certificate of {@code by} for {@code identity} in {@code DIR/tls/NAME/}. */
  private CaFiles issue(String name, NodeIdentity identity, ClusterCa by) throws IOException {
    CaFiles files = tlsFiles(name);
    Set<String> hosts = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
    if (all().contains(name) || twins.contains(name)) {
      hosts.add(net.host(name));
      hosts.add(net.clientHost(name));
    }
    files.writeNode(identity, by.issue(identity, List.copyOf(hosts), Instant.now(), NODE_VALIDITY));
    return files;
  }

  /** The CA certificates every node and the harness trust (a rotation writes a bundle here). */
  public Path trustFile() {
    return tlsFiles("ca").dir().resolve(CaFiles.CA_CERT);
  }

  /**
   * Gives a node (or a harness identity, {@link #tlsAs}) a new certificate of {@code by} in place
   * of its files; it takes it at its next read, as in a rotation.
   */
  public synchronized void reissue(String node, ClusterCa by) throws IOException {
    Node n = nodes.get(node);
    if (n != null) {
      issue(node, identity(node, n.role(), n.env()), by);
      return;
    }
    for (NodeIdentity client : clientTls.keySet()) {
      if (clientName(client).equals(node)) {
        issue(node, client, by);
        return;
      }
    }
    throw new IllegalArgumentException("no node or client " + node + " in this lab");
  }

  private static String clientName(NodeIdentity identity) {
    return "client-" + identity.role().label() + "-" + identity.id();
  }

  /**
   * How the harness speaks as {@code identity} (an admin tool, or a webapp for a benchmark that
   * sends to coreapps itself): its own certificate, or plaintext when the lab runs without TLS.
   */
  public synchronized NodeTls tlsAs(NodeIdentity identity) {
    NodeTls known = clientTls.get(identity);
    if (known != null) {
      return known;
    }
    NodeTls made;
    try {
      Map<String, String> env = tlsEnv(clientName(identity), identity);
      made = NodeTls.fromEnv(env, "lab client " + identity);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    clientTls.put(identity, made);
    return made;
  }

  /** The harness as an admin tool. */
  public NodeTls adminTls() {
    return tlsAs(new NodeIdentity(NodeIdentity.Role.ADMIN, "harness"));
  }

  /** The number of a numbered node: 2 for {@code m2}. */
  static int index(String node) {
    return Integer.parseInt(node.substring(1));
  }

  /** The twin of a coreapp: {@code t2} for {@code c2}. */
  public String twinOf(String coreapp) {
    if (!options.twins() || !coreapps.contains(coreapp)) {
      throw new IllegalArgumentException("no twin of " + coreapp + " in this lab");
    }
    return "t" + index(coreapp);
  }

  /** Every node {@link #start()} starts, in start order (twins are not among them). */
  public List<String> all() {
    List<String> out = new ArrayList<>();
    if (options.mirror().isEmpty()) {
      out.add(DATABASE);
    }
    out.add(UPSTREAM);
    out.addAll(masters);
    out.addAll(coreapps);
    out.addAll(webapps);
    return out;
  }

  public Options options() {
    return options;
  }

  public Path dir() {
    return dir;
  }

  /** A port for one service of a node: fixed where nodes have addresses, else the plan's. */
  private synchronized int port(String node, String service) {
    String key = node + "/" + service;
    Integer known = ports.get(key);
    if (known != null) {
      return known;
    }
    int port =
        net.ownAddresses()
            ? PortPlan.conventional().port(node, service)
            : options.ports().port(node, service);
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
    return net.clientHost(master) + ":" + port(master, "api");
  }

  /** A master's Raft address, as the harness reaches it. */
  public String raftAddress(String master) {
    return net.clientHost(master) + ":" + port(master, "raft");
  }

  /** The masters' API addresses, as the harness reaches them. */
  public List<String> masterApis() {
    return masters.stream().map(this::apiAddress).toList();
  }

  /** A webapp's base URL, as the harness reaches it. */
  /** The webapps' API key ({@code Authorization: Apikey KEY} for /v1/health and /metrics). */
  public String apiKey() {
    return apiKey;
  }

  private static String randomKey() {
    byte[] key = new byte[16];
    new SecureRandom().nextBytes(key);
    return HexFormat.of().formatHex(key);
  }

  public String webappUrl(String webapp) {
    return "http://" + net.clientHost(webapp) + ":" + port(webapp, "http");
  }

  /** The upstream simulator's address, as the harness reaches it. */
  public String upstreamAddress() {
    return net.clientHost(UPSTREAM) + ":" + port(UPSTREAM, "grpc");
  }

  /** A coreapp's gRPC address, as the harness reaches it. */
  public String coreappAddress(String coreapp) {
    return net.clientHost(coreapp) + ":" + port(coreapp, "grpc");
  }

  /**
   * The mirror database, as the harness reaches it: the embedded one with the webapps' read-only
   * account, over TLS that checks the database's certificate when the lab runs TLS.
   */
  public synchronized MirrorSettings mirror() {
    if (options.mirror().isPresent()) {
      return options.mirror().get();
    }
    if (harnessMirror == null) {
      MirrorSettings m =
          embeddedMirror(
              net.clientHost(DATABASE), MirrorUsers.WEBAPP, mirrorUsers.webappPassword());
      harnessMirror = ca.isEmpty() ? m : MirrorTls.secured(m, adminTls(), "lab harness");
    }
    return harnessMirror;
  }

  /** The embedded database's address, as the harness reaches it. */
  public String databaseAddress() {
    return net.clientHost(DATABASE) + ":" + port(DATABASE, "sql");
  }

  /** The embedded database's accounts (tests that try them). */
  MirrorUsers mirrorUsers() {
    return mirrorUsers;
  }

  /** The embedded database as a node of {@code role} reaches it, with that role's account. */
  private MirrorSettings mirrorFor(Role role) {
    if (options.mirror().isPresent()) {
      return options.mirror().get();
    }
    return switch (role) {
      case MASTER ->
          embeddedMirror(net.host(DATABASE), MirrorUsers.MASTER, mirrorUsers.masterPassword());
      case COREAPP ->
          embeddedMirror(net.host(DATABASE), MirrorUsers.COREAPP, mirrorUsers.coreappPassword());
      default ->
          embeddedMirror(net.host(DATABASE), MirrorUsers.WEBAPP, mirrorUsers.webappPassword());
    };
  }

  /** Without an {@code sslMode}: each node adds its own (MirrorTls). */
  private MirrorSettings embeddedMirror(String dbHost, String user, String password) {
    return new MirrorSettings(
        "jdbc:mysql://"
            + dbHost
            + ":"
            + port(DATABASE, "sql")
            + "/"
            + MirrorUsers.SCHEMA
            + "?connectTimeout=1000",
        user,
        password);
  }

  /** {@code node:port} as the nodes' configurations name it. */
  private String configured(String node, String service) {
    return net.host(node) + ":" + port(node, service);
  }

  /**
   * Where a coreapp (or a twin) journals its lease intervals, when {@link Options#leaseJournal}.
   */
  public Path journal(String coreapp) {
    return dir.resolve("journal-" + coreapp + ".jsonl");
  }

  public Path logs() {
    return dir.resolve("logs");
  }

  /**
   * Every node with its role, pid (0 while it does not run) and ports, as the demo writes {@code
   * cluster.json}.
   */
  public synchronized List<Map<String, Object>> describe() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Node n : nodes.values()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("role", n.role().label());
      d.put("id", n.id());
      d.put("pid", process(n.id()).map(Process::pid).orElse(0L));
      ports.forEach(
          (key, port) -> {
            if (key.startsWith(n.id() + "/")) {
              d.put(key.substring(n.id().length() + 1) + "_port", port);
            }
          });
      out.add(d);
    }
    return out;
  }

  /**
   * Where Prometheus finds every node's metrics, in its file service discovery format: one group
   * per master and coreapp (their metrics ports) and webapp (its REST port), labelled with its
   * {@code role} and {@code node} (deploy/prometheus/prometheus.yml reads it).
   */
  public synchronized List<Map<String, Object>> prometheusTargets() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Node n : nodes.values()) {
      String service =
          switch (n.role()) {
            case MASTER, COREAPP -> "metrics";
            case WEBAPP -> "http";
            default -> null;
          };
      Integer port = service == null ? null : ports.get(n.id() + "/" + service);
      if (port != null) {
        out.add(
            Map.of(
                "targets",
                List.of(net.clientHost(n.id()) + ":" + port),
                "labels",
                Map.of("role", n.role().label(), "node", n.id())));
      }
    }
    return out;
  }

  /**
   * Puts masters or coreapps {@code nodes} in failure domain {@code zone} (a master's {@code zone},
   * a coreapp's {@code MC_ZONE}); before {@link #start()}.
   */
  public void zone(String zone, String... nodes) {
    for (String node : nodes) {
      zones.put(node, zone);
    }
  }

  private synchronized String masterMain(String master) {
    return masterMains.getOrDefault(master, MASTER_MAIN);
  }

  /**
   * Runs master {@code master} with {@code mainClass} (taking {@code MasterMain}'s arguments) from
   * its next start: a master of another release, in the tests of upgrades.
   */
  public synchronized void runMasterWith(String master, String mainClass) {
    String before = masterMain(master);
    masterMains.put(master, mainClass);
    Node n = nodes.get(master);
    if (n != null) {
      List<String> command = new ArrayList<>(n.command());
      command.set(command.indexOf(before), mainClass);
      nodes.put(master, new Node(n.id(), n.role(), command, n.env()));
    }
  }

  /**
   * The exit status of the node's last process that ended without the lab stopping or killing it;
   * empty when none did.
   */
  public synchronized Optional<Integer> exitCode(String id) {
    return Optional.ofNullable(exitCodes.get(id));
  }

  /**
   * Starts every node: database, upstream, masters, then coreapps and webapps. Refuses, before
   * starting anything, when a loopback port of the plan is taken (another cluster still runs).
   */
  public void start() throws IOException {
    MirrorSettings mirror = mirrorFor(Role.MASTER);
    if (options.mirror().isEmpty()) {
      define(
          DATABASE,
          Role.DATABASE,
          List.of(
              EmbeddedDatabaseMain.class.getName(),
              "--port",
              Integer.toString(port(DATABASE, "sql")),
              "--dir",
              dir.resolve(DATABASE).toString(),
              "--bind",
              net.bindAddress(DATABASE)),
          mirrorUsers.env());
    }
    List<String> upstreamArgs =
        new ArrayList<>(
            List.of(
                "io.multiconnect.dataplane.upstream.UpstreamSimulator",
                "--host",
                net.host(UPSTREAM),
                "--port",
                Integer.toString(port(UPSTREAM, "grpc"))));
    if (options.upstreamEvents() > 0) {
      upstreamArgs.addAll(List.of("--max-events", Integer.toString(options.upstreamEvents())));
    }
    define(UPSTREAM, Role.UPSTREAM, upstreamArgs, Map.of());
    String peers =
        masters.stream()
            .map(m -> m + ":" + net.host(m) + ":" + port(m, "raft") + ":" + port(m, "api"))
            .collect(Collectors.joining(","));
    for (String m : masters) {
      Path config = dir.resolve(m + ".properties");
      writePrivate(
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
              + mirror.jdbcUrl()
              + "\nmirror.user="
              + mirror.user()
              + "\nmirror.password="
              + mirror.password()
              + "\nmetrics.address="
              + configured(m, "metrics")
              + "\nmetrics.api.key="
              + apiKey
              + "\nzone="
              + zones.getOrDefault(m, "")
              + "\n");
      define(m, Role.MASTER, List.of(masterMain(m), "--config", config.toString()), Map.of());
    }
    Map<String, String> common = new LinkedHashMap<>(options.nodeEnv());
    putMirror(common, mirrorFor(Role.COREAPP));
    // The cluster's media store: one directory every coreapp and webapp shares.
    common.put(MediaStore.DIR_ENV, mediaDir().toString());
    common.put(
        "MC_MASTERS",
        masters.stream().map(m -> configured(m, "api")).collect(Collectors.joining(",")));
    for (String c : coreapps) {
      defineCoreapp(c, c, common);
    }
    for (String t : twins) {
      defineCoreapp(t, "c" + index(t), common);
    }
    // For an operator of the demo: curl -H "Authorization: Apikey $(cat DIR/api-key)" .../v1/health
    writePrivate(dir.resolve("api-key"), apiKey + "\n");
    for (String w : webapps) {
      Map<String, String> env = new LinkedHashMap<>(common);
      env.put("MC_WEBAPP_ID", w);
      putMirror(env, mirrorFor(Role.WEBAPP));
      env.put("MC_WEBAPP_ADDRESS", configured(w, "http"));
      env.put("WA_API_KEY", apiKey);
      define(w, Role.WEBAPP, List.of("io.multiconnect.dataplane.webapp.WebappMain"), env);
    }
    if (!net.ownAddresses()) {
      checkPortsFree();
    }
    for (String id : nodes.keySet()) {
      if (!twins.contains(id)) {
        start(id);
      }
    }
  }

  /** The media store every coreapp and webapp of the lab shares. */
  public Path mediaDir() {
    return dir.resolve("media");
  }

  private static void putMirror(Map<String, String> env, MirrorSettings mirror) {
    env.put("MC_MIRROR_JDBC_URL", mirror.jdbcUrl());
    env.put("MC_MIRROR_USER", mirror.user());
    env.put("MC_MIRROR_PASSWORD", mirror.password());
  }

  /** Node {@code node} runs coreapp {@code coreappId} (itself, or the coreapp a twin copies). */
  private void defineCoreapp(String node, String coreappId, Map<String, String> common)
      throws IOException {
    Map<String, String> env = new LinkedHashMap<>(common);
    env.put("MC_COREAPP_ID", coreappId);
    env.put("MC_COREAPP_ADDRESS", configured(node, "grpc"));
    env.put("MC_UPSTREAM", configured(UPSTREAM, "grpc"));
    env.put(MetricsEndpoint.ENV, configured(node, "metrics"));
    env.put(ApiKey.ENV, apiKey);
    if (zones.containsKey(node)) {
      env.put(Zones.ENV, zones.get(node));
    }
    if (options.leaseJournal()) {
      env.put("MC_LEASE_JOURNAL", journal(node).toString());
    }
    define(node, Role.COREAPP, List.of("io.multiconnect.dataplane.coreapp.CoreappMain"), env);
  }

  /** A file only its owner may read: node configurations hold the database password. */
  private static void writePrivate(Path file, String text) throws IOException {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  private void checkPortsFree() throws IOException {
    for (Map.Entry<String, Integer> e : ports.entrySet()) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), e.getValue()));
      } catch (IOException taken) {
        throw new IOException(
            "port "
                + e.getValue()
                + " ("
                + e.getKey()
                + ") is in use: is another cluster running on these ports?");
      }
    }
  }

  private void define(String id, Role role, List<String> mainAndArgs, Map<String, String> env)
      throws IOException {
    List<String> flags = new ArrayList<>(role == Role.MASTER ? Launcher.MASTER_FLAGS : List.of());
    flags.addAll(options.jvmFlags());
    List<String> command = Launcher.java(id, flags, classpath, logs(), mainAndArgs);
    Map<String, String> withClock = new LinkedHashMap<>(env);
    withClock.putAll(tlsEnv(id, identity(id, role, env)));
    if (options.clockControl() && role != Role.DATABASE && role != Role.UPSTREAM) {
      withClock.put("MC_CLOCK_CONTROL", clockFile(id).toString());
    }
    nodes.put(id, new Node(id, role, command, withClock));
  }

  /** Who a node is to the others: a twin is the coreapp whose id it runs. */
  private static NodeIdentity identity(String id, Role role, Map<String, String> env) {
    return switch (role) {
      case MASTER -> new NodeIdentity(NodeIdentity.Role.MASTER, id);
      case COREAPP -> new NodeIdentity(NodeIdentity.Role.COREAPP, env.get("MC_COREAPP_ID"));
      case WEBAPP -> new NodeIdentity(NodeIdentity.Role.WEBAPP, id);
      case UPSTREAM -> new NodeIdentity(NodeIdentity.Role.UPSTREAM, UPSTREAM);
      case DATABASE -> new NodeIdentity(NodeIdentity.Role.DATABASE, DATABASE);
    };
  }

  /** The node's role. */
  public Role role(String id) {
    return nodes.get(id).role();
  }

  private Path clockFile(String node) {
    return dir.resolve("clock-" + node);
  }

  /**
   * Skews a node's clocks through its {@code MC_CLOCK_CONTROL} file (read within 50 ms, and at
   * start, so a restarted node keeps the skew): the monotonic clock runs at {@code 1 + rate}, the
   * wall clock is {@code wallOffsetMs} off. {@code skew(node, 0, 0)} restores both rates.
   */
  public void skew(String node, double rate, long wallOffsetMs) throws IOException {
    Path file = clockFile(node);
    Path next = dir.resolve("clock-" + node + ".next");
    Files.writeString(next, "rate=" + rate + " wall_offset_ms=" + wallOffsetMs + "\n");
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Calls {@code listener} with a node's id whenever its process exits without the lab having
   * stopped it: it crashed, or someone killed it from outside. Runs on the JDK's process reaper.
   */
  public void onUnexpectedExit(Consumer<String> listener) {
    this.unexpectedExit = listener;
  }

  /** How long {@link #start} waits for a stop or kill of the same node still under way. */
  private static final Duration ENDING_WAIT = Duration.ofSeconds(20);

  /**
   * Starts (or restarts) a node's process, once a stop or kill of it still under way has ended (a
   * graceful stop may take seconds on a loaded machine); refuses once the lab is stopping.
   */
  public synchronized void start(String id) throws IOException {
    long deadline = System.nanoTime() + ENDING_WAIT.toNanos();
    try {
      for (long left = ENDING_WAIT.toMillis();
          ending.contains(id) && left > 0;
          left = (deadline - System.nanoTime()) / 1_000_000) {
        wait(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while " + id + " was being stopped", e);
    }
    if (stopping) {
      throw new IOException("the lab is stopping: " + id + " not started");
    }
    Process old = running.get(id);
    if (ending.contains(id) || (old != null && old.isAlive())) {
      throw new IOException(
          id
              + " is still running"
              + (old != null ? " (pid " + old.pid() + ")" : "")
              + ": not started twice");
    }
    Node n = nodes.get(id);
    Process p = Launcher.start(net.wrap(id, n.command()), n.env(), logs().resolve(id + ".log"));
    running.put(id, p);
    started.add(id);
    p.onExit().thenAccept(this::exited);
    LOG.info("started {} ({}) pid {}", id, n.role().label(), p.pid());
  }

  private void exited(Process p) {
    String id;
    synchronized (this) {
      id =
          running.entrySet().stream()
              .filter(e -> e.getValue() == p)
              .map(Map.Entry::getKey)
              .findFirst()
              .orElse(null);
      if (id == null) {
        return; // stopped or killed by the lab
      }
      running.remove(id);
      exitCodes.put(id, p.exitValue());
    }
    LOG.warn("{} (pid {}) exited with code {}", id, p.pid(), p.exitValue());
    unexpectedExit.accept(id);
  }

  /** Whether the lab ever started a process of the node. */
  public synchronized boolean started(String id) {
    return started.contains(id);
  }

  /** Whether a process of the node runs or is being stopped: starting it now would make two. */
  public synchronized boolean hasProcess(String id) {
    return ending.contains(id) || process(id).isPresent();
  }

  /** The node's process, while it runs. */
  public synchronized Optional<Process> process(String id) {
    return Optional.ofNullable(running.get(id)).filter(Process::isAlive);
  }

  /** SIGKILL to the node's process and its descendants; waits until it is gone. */
  public void kill(String id) {
    end(id, Launcher::kill);
  }

  /** SIGTERM (graceful stop) and wait up to 15 s, then SIGKILL. */
  public void stop(String id) {
    end(id, p -> Launcher.stop(p, 15));
  }

  /** Ends a node's process with {@code how}; a {@link #start} of it waits until that is done. */
  private void end(String id, Consumer<Process> how) {
    Process p;
    synchronized (this) {
      p = running.remove(id);
      ending.add(id);
    }
    try {
      if (p != null) {
        how.accept(p);
      }
    } finally {
      synchronized (this) {
        ending.remove(id);
        notifyAll();
      }
    }
  }

  /**
   * Stops every node gracefully, in the order that lets each finish its work: webapps and coreapps
   * first (the coreapps release their shards while the masters still take the releases), then the
   * masters and the upstream simulator, then the database, which the masters wrote to until then.
   * Each group gets SIGTERM at once and {@code grace} to exit, then SIGKILL.
   */
  public void stopAll(Duration grace) {
    List<List<Role>> phases =
        List.of(
            List.of(Role.WEBAPP, Role.COREAPP),
            List.of(Role.MASTER, Role.UPSTREAM),
            List.of(Role.DATABASE));
    for (List<Role> phase : phases) {
      Map<String, Process> group = new LinkedHashMap<>();
      synchronized (this) {
        stopping = true;
        for (Node n : nodes.values()) {
          Process p = phase.contains(n.role()) ? running.remove(n.id()) : null;
          if (p != null) {
            group.put(n.id(), p);
          }
        }
      }
      group.values().forEach(Launcher::terminate);
      long deadline = System.nanoTime() + grace.toNanos();
      group.forEach(
          (id, p) -> {
            long left = TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime());
            if (!Launcher.waitFor(p, Math.max(1, left))) {
              LOG.warn("{} did not stop on SIGTERM in {} s: SIGKILL", id, grace.toSeconds());
            }
            Launcher.kill(p);
          });
    }
  }

  /** SIGSTOP or SIGCONT to the node's process and its descendants. */
  public synchronized void signal(String id, String signal) throws IOException {
    Process p = running.get(id);
    if (p != null) {
      Launcher.signal(p, signal);
    }
  }

  public Network network() {
    return net;
  }

  /**
   * Logs in as admin (setting {@code password} on the first login), sets the cluster's heartbeat
   * and unhealthy intervals, and waits until every shard has a primary, every coreapp is registered
   * and every webapp routes.
   */
  public Ready ready(long heartbeatMs, long unhealthyMs, String password, Duration timeout) {
    AdminClient anonymous = anonymousAdmin();
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
    awaitServing(admin, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    return new Ready(admin, authorization);
  }

  /** An Admin client to the masters, without credentials (reads and login only). */
  public AdminClient anonymousAdmin() {
    return new AdminClient(
        masterApis(), adminTls(), Duration.ofSeconds(2), 3, Duration.ofMillis(200));
  }

  /**
   * Waits, without logging in or changing anything, until every shard of the current map has a
   * primary, every coreapp is registered and every webapp routes; returns that status.
   */
  public ClusterStatus awaitServing(AdminClient admin, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    String last = "no status yet";
    while (true) {
      try {
        ClusterStatus s = admin.status();
        boolean primaries =
            s.getShardMap().getAssignmentsCount() == s.getShardMap().getShardCount();
        boolean registered = s.getCoreappsCount() >= coreapps.size();
        if (primaries && registered && webappsRoute(http)) {
          return s;
        }
        last =
            s.getShardMap().getAssignmentsCount()
                + " of "
                + s.getShardMap().getShardCount()
                + " shards with a primary, "
                + s.getCoreappsCount()
                + " of "
                + coreapps.size()
                + " coreapps registered";
      } catch (AdminException e) {
        last = e.getMessage();
        LOG.info("waiting for the cluster: {}", last);
      }
      giveUpAfter(
          deadline,
          "the cluster did not serve within " + timeout.toSeconds() + " s (" + last + ")",
          500);
    }
  }

  private boolean webappsRoute(HttpClient http) {
    return webapps.stream().allMatch(w -> routes(http, w).filter(t -> !t.isEmpty()).isPresent());
  }

  private static final Pattern PRIMARY =
      Pattern.compile("multiconnect_webapp_shard_epoch\\{coreapp=\"([^\"]+)\",shard=\"(\\d+)\"} ");

  /** A webapp's routing table ({@code 0=c1,1=c2}) from its metrics, if it answers. */
  public Optional<String> routes(HttpClient http, String webapp) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(webappUrl(webapp) + "/metrics"))
                  .header("Authorization", "Apikey " + apiKey)
                  .timeout(Duration.ofMillis(500))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Optional.empty();
      }
      Map<Integer, String> primaries = new TreeMap<>();
      Matcher m = PRIMARY.matcher(r.body());
      while (m.find()) {
        primaries.put(Integer.parseInt(m.group(2)), m.group(1));
      }
      List<String> parts = new ArrayList<>();
      primaries.forEach((s, c) -> parts.add(s + "=" + c));
      return Optional.of(String.join(",", parts));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
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

  /** SIGCONT and SIGKILL to every node's process (a paused one too), then the network goes. */
  @Override
  public void close() {
    List<String> ids;
    synchronized (this) {
      stopping = true;
      ids = new ArrayList<>(running.keySet());
    }
    for (String id : ids) {
      signalQuietly(id, "CONT");
      kill(id);
    }
    synchronized (this) {
      clientTls.values().forEach(NodeTls::close);
      clientTls.clear();
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
