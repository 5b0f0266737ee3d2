package io.multiconnect.dataplane.coreapp;

import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.multiconnect.common.metrics.Families;
import io.multiconnect.common.metrics.NodeMetrics;
import io.multiconnect.proto.v1.SendResult;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A coreapp's metrics (docs/operations.md, "Metrics"): heartbeat round trips, send calls and their
 * latency, messages by outcome, counted as they happen; what it may act on (shard, epoch, time left
 * before the acting deadline), its upstream session's state and the webhook's backlog and
 * deliveries, read at each scrape. Labels are fixed words and gRPC status codes.
 */
final class CoreappMetrics implements MultiCollector {
  static final List<String> SESSION_STATES = List.of("connected", "connecting", "disconnected");

  /** How long a scrape waits for the webhook thread to count its backlog. */
  private static final Duration BACKLOG_WAIT = Duration.ofMillis(200);

  private final MeterRegistry registry;
  private final Timer heartbeats;
  private final Timer sends;
  private final Supplier<Acting> acting;
  private final LongSupplier nanoTime;
  private final Supplier<String> gatewayStatus;
  private final Webhooks webhooks;

  CoreappMetrics(
      NodeMetrics metrics,
      Supplier<Acting> acting,
      LongSupplier nanoTime,
      Supplier<String> gatewayStatus,
      Webhooks webhooks) {
    this.registry = metrics.registry();
    this.acting = acting;
    this.nanoTime = nanoTime;
    this.gatewayStatus = gatewayStatus;
    this.webhooks = webhooks;
    this.heartbeats =
        NodeMetrics.latency(
                "multiconnect_coreapp_heartbeat_round_trip",
                "From a heartbeat's sending to its answer",
                Duration.ofSeconds(5))
            .register(registry);
    this.sends =
        NodeMetrics.latency(
                "multiconnect_coreapp_send_call",
                "A SendMessage(s) call, from its arrival to its answer",
                Duration.ofSeconds(5))
            .register(registry);
    metrics.register(this);
  }

  void heartbeatAnswered(long nanos) {
    heartbeats.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A send call answered {@code results} after {@code nanos}. */
  void sent(List<SendResult> results, long nanos) {
    sends.record(nanos, TimeUnit.NANOSECONDS);
    for (SendResult r : results) {
      registry.counter("multiconnect_coreapp_messages", "outcome", outcome(r)).increment();
    }
  }

  /** Messages passed to the upstream since the start. */
  long messagesSent() {
    return (long) registry.counter("multiconnect_coreapp_messages", "outcome", "sent").count();
  }

  /** {@code sent}, or the refusal's gRPC code in lower case ({@code failed_precondition}...). */
  static String outcome(SendResult r) {
    return r.hasRefusal()
        ? Status.fromCodeValue(r.getRefusal().getCode()).getCode().name().toLowerCase(Locale.ROOT)
        : "sent";
  }

  @Override
  public MetricSnapshots collect() {
    Families f = new Families();
    Acting a = acting.get();
    long left = a == null ? 0 : Math.max(0, a.deadlineNanos() - nanoTime.getAsLong());
    boolean acts = left > 0 && a.sessionId() != null;
    f.gauge("multiconnect_coreapp_acting", "1 while it may send for a shard", acts ? 1 : 0);
    f.gauge(
        "multiconnect_coreapp_shard", "The shard it acts for (-1: none)", acts ? a.shard() : -1);
    f.gauge("multiconnect_coreapp_epoch", "The epoch it acts at (0: none)", acts ? a.epoch() : 0);
    f.gauge(
        "multiconnect_coreapp_acting_remaining_seconds",
        "Time left before its acting deadline (its lease less the acting margin)",
        left / 1e9);
    String state = gatewayStatus.get();
    for (String s : SESSION_STATES) {
      f.gauge(
          "multiconnect_coreapp_upstream_session",
          "1 for the state of its upstream session",
          s.equals(state) ? 1 : 0,
          "state",
          s);
    }
    OptionalInt backlog = webhooks.backlog(BACKLOG_WAIT);
    if (backlog.isPresent()) {
      f.gauge(
          "multiconnect_coreapp_webhook_backlog",
          "Inbound events waiting for the webhook or being posted",
          backlog.getAsInt());
    }
    f.counter(
        "multiconnect_coreapp_webhook_events_delivered",
        "Inbound events the webhook took",
        webhooks.delivered());
    f.counter(
        "multiconnect_coreapp_webhook_posts_failed",
        "Webhook posts that failed (each is retried)",
        webhooks.failedPosts());
    return f.build();
  }
}
