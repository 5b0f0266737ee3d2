package io.multiconnect.dataplane.webapp;

import io.javalin.http.Context;
import io.micrometer.core.instrument.MeterRegistry;
import io.multiconnect.common.metrics.Families;
import io.multiconnect.common.metrics.NodeMetrics;
import io.multiconnect.dataplane.RoutingTable;
import io.multiconnect.proto.v1.ShardAssignment;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A webapp's metrics (docs/operations.md, "Metrics"): every request's time by method, route
 * template ({@code /v1/media/{id}}, not the path asked for: bounded) and status; the routing table
 * it routes by (its Raft index, shard count, each shard's primary and epoch) and whether its Watch
 * stream is open, read at each scrape; the router's counters ({@link MessageRouter#bindTo}).
 */
final class WebappMetrics implements MultiCollector {
  /** The route of a request no route matched (an unknown path): one label value for all. */
  static final String UNMATCHED = "unmatched";

  private final MeterRegistry registry;
  private final Supplier<RoutingTable> table;
  private final BooleanSupplier watchConnected;

  WebappMetrics(NodeMetrics metrics, Supplier<RoutingTable> table, BooleanSupplier watchConnected) {
    this.registry = metrics.registry();
    this.table = table;
    this.watchConnected = watchConnected;
    metrics.register(this);
  }

  /**
   * Javalin's request logger: called once a request is answered, after {@code ms}, with the route
   * template it matches ({@link #UNMATCHED} when none does): matched by path, so that a request a
   * before-handler refused (no token) counts under its route too.
   */
  void answered(Context ctx, Float ms, Optional<String> route) {
    NodeMetrics.latency(
            "multiconnect_webapp_http_requests",
            "REST requests, from arrival to answer",
            Duration.ofSeconds(10))
        .tag("method", ctx.method().name())
        .tag("route", route.orElse(UNMATCHED))
        .tag("status", Integer.toString(ctx.statusCode()))
        .register(registry)
        .record((long) (ms * 1_000_000L), TimeUnit.NANOSECONDS);
  }

  @Override
  public MetricSnapshots collect() {
    RoutingTable t = table.get();
    Families f = new Families();
    f.gauge(
        "multiconnect_webapp_routing_version",
        "Raft index of the routing table in use",
        t.version());
    f.gauge("multiconnect_webapp_shards", "Shard count in the routing table", t.shardCount());
    f.gauge(
        "multiconnect_webapp_watch_connected",
        "1 while a Watch stream is open",
        watchConnected.getAsBoolean() ? 1 : 0);
    for (ShardAssignment a : t.primaries().values()) {
      f.gauge(
          "multiconnect_webapp_shard_epoch",
          "Epoch of the primary each shard is routed to",
          a.getEpoch(),
          "shard",
          Integer.toString(a.getShard()),
          "coreapp",
          a.getCoreappId());
    }
    return f.build();
  }
}
