package io.multiconnect.master.config;

import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.metrics.MetricsEndpoint;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.node.Zones;
import io.multiconnect.common.shard.ShardCounts;
import io.multiconnect.common.tls.NodeTls;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * Node-local settings of a master, parsed once at start-up. Each key can be overridden by an
 * environment variable (shown beside it); cluster-wide settings (heartbeat and unhealthy intervals)
 * are replicated instead and live in the Raft state.
 *
 * @param nodeId this master's id; must be one of {@code peers} ({@code node.id}, {@code
 *     MC_NODE_ID})
 * @param peers every master of the initial group ({@code peers}, {@code MC_PEERS}): comma-separated
 *     {@code id:host:raftPort:apiPort}
 * @param dataDir where the Raft log and snapshots live ({@code data.dir}, {@code MC_DATA_DIR})
 * @param groupId the Raft group id ({@code group.id}, {@code MC_GROUP_ID}); every master of one
 *     cluster must agree
 * @param snapshotThreshold take a snapshot every this many log entries ({@code snapshot.threshold},
 *     {@code MC_SNAPSHOT_THRESHOLD})
 * @param logSegmentBytes the size at which a Raft log segment is closed; only closed segments can
 *     be purged after a snapshot ({@code log.segment.bytes}, {@code MC_LOG_SEGMENT_BYTES})
 * @param mirror the MySQL mirror, if any (see {@link MirrorSettings})
 * @param initialShards the shard count a brand-new cluster starts with ({@code initial.shards},
 *     {@code MC_INITIAL_SHARDS}; default 1); ignored once the cluster exists
 * @param join this master starts outside the group and waits to be added ({@code join}, {@code
 *     MC_JOIN}; for {@code mcctl master add}): it never campaigns before the group takes it in
 * @param deregisterAfter how long a coreapp that holds nothing may stay silent before this master,
 *     as leader, removes it from the registry ({@code coreapp.deregister.after.seconds}, {@code
 *     MC_COREAPP_DEREGISTER_AFTER_SECONDS}; default 3600, at least 60): the registry does not grow
 *     with every id that ever registered; a coreapp that comes back registers again
 * @param metrics where {@code GET /metrics} is served, if anywhere ({@code metrics.address}, {@code
 *     MC_METRICS_ADDRESS}: {@code host:port}), with the key it asks for ({@code metrics.api.key},
 *     {@code WA_API_KEY}; required unless the address is a loopback one)
 * @param raftTiming Raft's election timeout ({@code raft.election.timeout.min.ms}, {@code
 *     raft.election.timeout.max.ms}; {@code MC_RAFT_ELECTION_TIMEOUT_MIN_MS}, {@code
 *     MC_RAFT_ELECTION_TIMEOUT_MAX_MS}; default {@link RaftTiming#DEFAULT}); the same on every
 *     master
 * @param zone this master's failure domain ({@code zone}, {@code MC_ZONE}; empty: none), shown by
 *     {@code mcctl status}, which warns when one zone holds a majority of the masters
 */
public record MasterConfig(
    String nodeId,
    List<PeerAddress> peers,
    Path dataDir,
    UUID groupId,
    long snapshotThreshold,
    long logSegmentBytes,
    Optional<MirrorSettings> mirror,
    int initialShards,
    boolean join,
    Duration deregisterAfter,
    Optional<MetricsEndpoint.Settings> metrics,
    RaftTiming raftTiming,
    String zone) {

  public static final UUID DEFAULT_GROUP_ID =
      UUID.fromString("6d756c74-6963-6f6e-6e65-637400000001");
  public static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;
  public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L << 20;
  public static final long MIN_LOG_SEGMENT_BYTES = 16L << 10;
  public static final Duration DEFAULT_DEREGISTER_AFTER = Duration.ofHours(1);
  public static final Duration MIN_DEREGISTER_AFTER = Duration.ofMinutes(1);

  private static final Map<String, String> TLS_ENV_NAMES =
      Map.of(
          "tls.cert", NodeTls.CERT,
          "tls.key", NodeTls.KEY,
          "tls.ca", NodeTls.CA,
          "tls", NodeTls.MODE,
          "tls.refresh.ms", NodeTls.REFRESH_ENV);

  private static final Map<String, String> ENV_NAMES =
      Map.ofEntries(
          Map.entry("node.id", "MC_NODE_ID"),
          Map.entry("peers", "MC_PEERS"),
          Map.entry("data.dir", "MC_DATA_DIR"),
          Map.entry("group.id", "MC_GROUP_ID"),
          Map.entry("snapshot.threshold", "MC_SNAPSHOT_THRESHOLD"),
          Map.entry("log.segment.bytes", "MC_LOG_SEGMENT_BYTES"),
          Map.entry("mirror.jdbc.url", "MC_MIRROR_JDBC_URL"),
          Map.entry("mirror.user", "MC_MIRROR_USER"),
          Map.entry("mirror.password", "MC_MIRROR_PASSWORD"),
          Map.entry("initial.shards", "MC_INITIAL_SHARDS"),
          Map.entry("join", "MC_JOIN"),
          Map.entry("coreapp.deregister.after.seconds", "MC_COREAPP_DEREGISTER_AFTER_SECONDS"),
          Map.entry("metrics.address", MetricsEndpoint.ENV),
          Map.entry("metrics.api.key", ApiKey.ENV),
          Map.entry("raft.election.timeout.min.ms", "MC_RAFT_ELECTION_TIMEOUT_MIN_MS"),
          Map.entry("raft.election.timeout.max.ms", "MC_RAFT_ELECTION_TIMEOUT_MAX_MS"),
          Map.entry("zone", Zones.ENV));

  public MasterConfig {
    peers = List.copyOf(peers);
    if (peers.stream().noneMatch(p -> p.id().equals(nodeId))) {
      throw new ConfigException("node.id", "'" + nodeId + "' is not one of the peers " + peers);
    }
    if (peers.stream().map(PeerAddress::id).distinct().count() != peers.size()) {
      throw new ConfigException("peers", "peer ids must be unique: " + peers);
    }
    if (snapshotThreshold < 1) {
      throw new ConfigException("snapshot.threshold", "must be at least 1");
    }
    if (logSegmentBytes < MIN_LOG_SEGMENT_BYTES) {
      throw new ConfigException(
          "log.segment.bytes", "must be at least " + MIN_LOG_SEGMENT_BYTES + " bytes");
    }
    if (!ShardCounts.isAllowed(initialShards)) {
      throw new ConfigException("initial.shards", "must be one of " + ShardCounts.LIST);
    }
    if (!Zones.isValid(zone)) {
      throw new ConfigException("zone", Zones.RULE);
    }
    if (deregisterAfter.compareTo(MIN_DEREGISTER_AFTER) < 0) {
      throw new ConfigException(
          "coreapp.deregister.after.seconds",
          "must be at least " + MIN_DEREGISTER_AFTER.toSeconds() + " seconds");
    }
  }

  public PeerAddress self() {
    return peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
  }

  /** Reads a properties file (optional) and applies environment overrides. */
  public static MasterConfig load(Path file, Map<String, String> env) {
    Properties props = read(file);
    ENV_NAMES.forEach(
        (key, envName) -> {
          String v = env.get(envName);
          if (v != null && !v.isBlank()) {
            props.setProperty(key, v);
          }
        });
    return fromProperties(props);
  }

  /**
   * The TLS settings as {@link io.multiconnect.common.tls.NodeTls#fromEnv} reads them: {@code
   * tls.cert}, {@code tls.key}, {@code tls.ca}, {@code tls} and {@code tls.refresh.ms} from the
   * file (optional) under their variables' names ({@code MC_TLS_CERT} ...), the environment's
   * winning.
   */
  public static Map<String, String> tlsSettings(Path file, Map<String, String> env) {
    Properties props = read(file);
    Map<String, String> settings = new HashMap<>();
    TLS_ENV_NAMES.forEach(
        (key, envName) -> {
          String v = Optional.ofNullable(env.get(envName)).orElse(props.getProperty(key));
          if (v != null && !v.isBlank()) {
            settings.put(envName, v.trim());
          }
        });
    return settings;
  }

  private static Properties read(Path file) {
    Properties props = new Properties();
    if (file != null) {
      try (Reader r = Files.newBufferedReader(file)) {
        props.load(r);
      } catch (IOException e) {
        throw new ConfigException("config", "cannot read " + file + ": " + e.getMessage());
      }
    }
    return props;
  }

  static MasterConfig fromProperties(Properties p) {
    List<PeerAddress> peers =
        Arrays.stream(required(p, "peers").split(","))
            .filter(s -> !s.isBlank())
            .map(PeerAddress::parse)
            .toList();
    UUID group;
    try {
      group = UUID.fromString(p.getProperty("group.id", DEFAULT_GROUP_ID.toString()));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("group.id", "must be a UUID");
    }
    return new MasterConfig(
        required(p, "node.id"),
        peers,
        Path.of(required(p, "data.dir")),
        group,
        number(p, "snapshot.threshold", DEFAULT_SNAPSHOT_THRESHOLD),
        number(p, "log.segment.bytes", DEFAULT_LOG_SEGMENT_BYTES),
        mirror(p),
        (int) number(p, "initial.shards", 1),
        Boolean.parseBoolean(p.getProperty("join", "false").trim()),
        Duration.ofSeconds(
            number(p, "coreapp.deregister.after.seconds", DEFAULT_DEREGISTER_AFTER.toSeconds())),
        metrics(p),
        new RaftTiming(
            Duration.ofMillis(
                number(
                    p,
                    "raft.election.timeout.min.ms",
                    RaftTiming.DEFAULT.electionTimeoutMin().toMillis())),
            Duration.ofMillis(
                number(
                    p,
                    "raft.election.timeout.max.ms",
                    RaftTiming.DEFAULT.electionTimeoutMax().toMillis()))),
        p.getProperty("zone", "").trim());
  }

  private static Optional<MetricsEndpoint.Settings> metrics(Properties p) {
    try {
      return MetricsEndpoint.Settings.of(
          p.getProperty("metrics.address"), p.getProperty("metrics.api.key"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("metrics.address", e.getMessage());
    }
  }

  private static Optional<MirrorSettings> mirror(Properties p) {
    String url = p.getProperty("mirror.jdbc.url", "").trim();
    if (url.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new MirrorSettings(
              url, p.getProperty("mirror.user", "root"), p.getProperty("mirror.password", "")));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("mirror.jdbc.url", e.getMessage());
    }
  }

  private static long number(Properties p, String key, long defaultValue) {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) {
      return defaultValue;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be a whole number, got '" + v.trim() + "'");
    }
  }

  private static String required(Properties p, String key) {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) {
      throw new ConfigException(
          key, "is required (set it in the config file or " + ENV_NAMES.get(key) + ")");
    }
    return v.trim();
  }
}
