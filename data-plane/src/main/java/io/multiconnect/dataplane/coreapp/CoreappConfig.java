package io.multiconnect.dataplane.coreapp;

import io.multiconnect.common.metrics.MetricsEndpoint;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.Zones;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Node-local settings of a coreapp, from the environment (or a map in tests).
 *
 * @param id unique coreapp id ({@code MC_COREAPP_ID})
 * @param address host:port its gRPC server listens on and registers with ({@code
 *     MC_COREAPP_ADDRESS})
 * @param masters API addresses of the masters, any of which relays to the leader ({@code
 *     MC_MASTERS})
 * @param upstream the upstream (WhatsApp server stand-in) address ({@code MC_UPSTREAM})
 * @param liveness the database for database-based liveness ({@code MC_MIRROR_JDBC_URL}, {@code
 *     MC_MIRROR_USER}, {@code MC_MIRROR_PASSWORD}), if any
 * @param dbHeartbeatInterval how often the liveness row is written ({@code
 *     MC_DB_HEARTBEAT_INTERVAL}, seconds, default 60)
 * @param leaseJournal where to append the intervals in which it may act, for the chaos harness
 *     ({@code MC_LEASE_JOURNAL}), if anywhere
 * @param upstreamSilence how long the upstream takes at most to drop a session whose holder went
 *     silent, its lazy drop included ({@code MC_UPSTREAM_SILENCE_MS}, default 400; the simulator
 *     drops after 300 ms plus up to 100 ms)
 * @param upstreamDelay the longest an upstream call takes to reach the upstream after the coreapp
 *     checked that it may act: a pause between the check and the write, scheduling, network delay
 *     and retransmissions ({@code MC_UPSTREAM_DELAY_MS}, default 100). The coreapp stops acting
 *     {@link #actingMargin} = silence + delay before its lease ends (docs/safety.md, the timing
 *     budget)
 * @param metrics where {@code GET /metrics} is served, if anywhere ({@code MC_METRICS_ADDRESS},
 *     with {@code WA_API_KEY}: see {@link MetricsEndpoint})
 * @param zone its failure domain ({@code MC_ZONE}; empty: none): the planner replaces a dead
 *     primary with a spare of another zone and spreads primaries across zones ({@link Zones})
 */
public record CoreappConfig(
    String id,
    String address,
    List<String> masters,
    String upstream,
    Optional<MirrorSettings> liveness,
    Duration dbHeartbeatInterval,
    Optional<Path> leaseJournal,
    Duration upstreamSilence,
    Duration upstreamDelay,
    Optional<MetricsEndpoint.Settings> metrics,
    String zone) {

  public static final Duration DEFAULT_UPSTREAM_SILENCE = Duration.ofMillis(400);

  public static final Duration DEFAULT_UPSTREAM_DELAY = Duration.ofMillis(100);

  public CoreappConfig {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("MC_COREAPP_ID: is required");
    }
    Endpoints.port("MC_COREAPP_ADDRESS", address);
    masters = List.copyOf(masters);
    Endpoints.port("MC_UPSTREAM", upstream);
    if (upstreamSilence.isNegative()) {
      throw new IllegalArgumentException("MC_UPSTREAM_SILENCE_MS: must not be negative");
    }
    if (upstreamDelay.isNegative()) {
      throw new IllegalArgumentException("MC_UPSTREAM_DELAY_MS: must not be negative");
    }
    zone = Zones.parse(Zones.ENV, zone);
  }

  /**
   * How long before its lease ends the coreapp makes its last upstream call: by the lease's end
   * that call has arrived ({@code upstreamDelay}) and the session it kept alive has been dropped
   * ({@code upstreamSilence}).
   */
  public Duration actingMargin() {
    return upstreamSilence.plus(upstreamDelay);
  }

  public static CoreappConfig fromEnv(Map<String, String> env) {
    Duration dbInterval;
    try {
      dbInterval =
          Duration.ofMillis(
              Math.round(
                  1000 * Double.parseDouble(env.getOrDefault("MC_DB_HEARTBEAT_INTERVAL", "60"))));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("MC_DB_HEARTBEAT_INTERVAL: must be a number of seconds");
    }
    if (dbInterval.toMillis() < 100) {
      throw new IllegalArgumentException("MC_DB_HEARTBEAT_INTERVAL: must be at least 0.1 s");
    }
    return new CoreappConfig(
        env.get("MC_COREAPP_ID"),
        env.getOrDefault("MC_COREAPP_ADDRESS", ""),
        Endpoints.parseList("MC_MASTERS", env.get("MC_MASTERS")),
        env.getOrDefault("MC_UPSTREAM", ""),
        MirrorSettings.fromEnv(env),
        dbInterval,
        Optional.ofNullable(env.get("MC_LEASE_JOURNAL")).filter(f -> !f.isBlank()).map(Path::of),
        millis("MC_UPSTREAM_SILENCE_MS", env, DEFAULT_UPSTREAM_SILENCE),
        millis("MC_UPSTREAM_DELAY_MS", env, DEFAULT_UPSTREAM_DELAY),
        MetricsEndpoint.Settings.fromEnv(env),
        env.get(Zones.ENV));
  }

  private static Duration millis(String name, Map<String, String> env, Duration otherwise) {
    String ms = env.get(name);
    if (ms == null || ms.isBlank()) {
      return otherwise;
    }
    try {
      return Duration.ofMillis(Long.parseLong(ms.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": must be a number of milliseconds");
    }
  }
}
