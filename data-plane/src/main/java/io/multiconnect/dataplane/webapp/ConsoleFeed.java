package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.StatusRuntimeException;
import io.javalin.http.sse.SseClient;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.CoreappStatusRequest;
import io.multiconnect.proto.v1.CoreappStatusResponse;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.ShardAssignment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the console ({@code GET /console}) shows, pushed to every open page as server-sent events
 * ({@code GET /console/events}, {@code event: status}): once a second while a page is open, and at
 * once when the Watch stream brings a change. Each event is the whole picture as JSON: the masters
 * with their Raft roles and indexes (the leader's status), each shard's primary with its epoch and
 * lease margin, every coreapp's state and health, pending moves, the mirror, the counters the page
 * turns into rates (messages through this webapp, messages and webhook events at the coreapps), and
 * a timeline of the last changes of primary, each with its cause as the previous picture shows it.
 * Nothing runs while no page is open.
 */
final class ConsoleFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleFeed.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  static final Duration PERIOD = Duration.ofSeconds(1);
  static final int TIMELINE = 50;
  private static final Duration COREAPP_DEADLINE = Duration.ofMillis(500);

  private final AdminClient admin;
  private final BiFunction<String, String, CoreappGrpc.CoreappFutureStub> coreapps;
  private final LongSupplier webappSent;
  private final LongSupplier wallMillis;
  private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("console-feed"));
  private ScheduledFuture<?> ticking; // guarded by this, as are additions to clients

  // The timer thread's alone:
  private final Deque<ObjectNode> timeline = new ArrayDeque<>();
  private Optional<ClusterStatus> previous = Optional.empty();

  ConsoleFeed(
      List<String> masters,
      NodeTls tls,
      BiFunction<String, String, CoreappGrpc.CoreappFutureStub> coreapps,
      LongSupplier webappSent,
      LongSupplier wallMillis) {
    this.admin = new AdminClient(masters, tls, PERIOD, 2, Duration.ofMillis(100));
    this.coreapps = coreapps;
    this.webappSent = webappSent;
    this.wallMillis = wallMillis;
  }

  /** A page opened the stream: it gets the picture now and at every change until it closes. */
  void subscribe(SseClient client) {
    client.keepAlive();
    client.onClose(() -> clients.remove(client));
    synchronized (this) {
      clients.add(client);
      if (ticking == null || ticking.isDone()) {
        ticking =
            timer.scheduleWithFixedDelay(this::tick, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  /** The Watch stream brought a change: show it now rather than within the second. */
  void changed() {
    if (!clients.isEmpty()) {
      try {
        timer.execute(this::tick);
      } catch (RejectedExecutionException closed) {
        // shutting down
      }
    }
  }

  private void tick() {
    clients.removeIf(SseClient::terminated);
    synchronized (this) { // with subscribe's: a page that opens now is never left without ticks
      if (clients.isEmpty()) {
        if (ticking != null) {
          ticking.cancel(false);
        }
        return;
      }
    }
    String event;
    try {
      event = JSON.writeValueAsString(picture());
    } catch (AdminException | StatusRuntimeException e) {
      event =
          JSON.createObjectNode()
              .put("at", wallMillis.getAsLong())
              .put("error", "no master answers: " + e.getMessage())
              .toString();
    } catch (RuntimeException | JsonProcessingException e) {
      // A failed picture must not end the ticks (a scheduled task that throws never runs again).
      LOG.warn("console: the cluster's picture failed", e);
      return;
    }
    for (SseClient c : clients) {
      c.sendEvent("status", event);
    }
  }

  private ObjectNode picture() {
    ClusterStatus s = admin.status();
    long now = wallMillis.getAsLong();
    noteChanges(s, now);
    ObjectNode out = JSON.createObjectNode();
    out.put("at", now);
    out.put("leader", s.getLeader().getLeaderId());
    out.put("term", s.getTerm());
    out.put("applied_index", s.getAppliedIndex());
    out.put("shard_count", s.getShardMap().getShardCount());
    ArrayNode masters = out.putArray("masters");
    for (MasterStatus m : s.getMastersList()) {
      masters
          .addObject()
          .put("id", m.getId())
          .put("zone", m.getZone())
          .put("role", m.getRole())
          .put("leader", m.getLeader())
          .put("term", m.getTerm())
          .put("commit_index", m.getCommitIndex())
          .put("applied_index", m.getAppliedIndex())
          .put("error", m.getError());
    }
    Map<String, CoreappStatus> byId = new HashMap<>();
    s.getCoreappsList().forEach(c -> byId.put(c.getId(), c));
    ArrayNode shards = out.putArray("shards");
    Map<Integer, ShardAssignment> primaries = primaries(s);
    for (int shard = 0; shard < s.getShardMap().getShardCount(); shard++) {
      ObjectNode o = shards.addObject().put("shard", shard);
      ShardAssignment a = primaries.get(shard);
      if (a != null) {
        CoreappStatus c = byId.get(a.getCoreappId());
        o.put("primary", a.getCoreappId())
            .put("epoch", a.getEpoch())
            .put("lease_remaining_ms", c == null ? -1 : c.getLeaseRemainingMs())
            .put("healthy", c != null && c.getHealthy());
      }
      Optional.ofNullable(s.getMovesMap().get(shard)).ifPresent(t -> o.put("moving_to", t));
    }
    long sent = 0;
    long delivered = 0;
    ArrayNode list = out.putArray("coreapps");
    for (CoreappStatus c : s.getCoreappsList()) {
      ObjectNode o =
          list.addObject()
              .put("id", c.getId())
              .put("zone", c.getZone())
              .put("state", c.getState())
              .put("shard", c.getShard())
              .put("epoch", c.getEpoch())
              .put("healthy", c.getHealthy())
              .put("heartbeat_age_ms", c.getLastHeartbeatAgeMs())
              .put("lease_remaining_ms", c.getLeaseRemainingMs());
      Optional<CoreappStatusResponse> own = ownStatus(c);
      if (own.isPresent()) {
        o.put("gateway_status", own.get().getGatewayStatus());
        sent += own.get().getMessagesSent();
        delivered += own.get().getWebhookEventsDelivered();
      }
    }
    out.putObject("mirror")
        .put("enabled", s.getMirror().getEnabled())
        .put("lag_entries", s.getMirror().getLagEntries())
        .put("behind_ms", s.getMirror().getBehindForMs());
    out.putObject("counters")
        .put("webapp_messages_sent", webappSent.getAsLong())
        .put("coreapp_messages_sent", sent)
        .put("webhook_events_delivered", delivered);
    ArrayNode events = out.putArray("timeline");
    timeline.forEach(events::add);
    return out;
  }

  /** The coreapp's own status (its session and counters), if it answers within the deadline. */
  private Optional<CoreappStatusResponse> ownStatus(CoreappStatus c) {
    if (c.getAddress().isEmpty()) {
      return Optional.empty();
    }
    Future<CoreappStatusResponse> asked =
        coreapps
            .apply(c.getId(), c.getAddress())
            .withDeadlineAfter(COREAPP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .getStatus(CoreappStatusRequest.getDefaultInstance());
    try {
      return Optional.of(asked.get(COREAPP_DEADLINE.toMillis() * 2, TimeUnit.MILLISECONDS));
    } catch (ExecutionException | TimeoutException e) {
      asked.cancel(true);
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static Map<Integer, ShardAssignment> primaries(ClusterStatus s) {
    Map<Integer, ShardAssignment> out = new HashMap<>();
    s.getShardMap().getAssignmentsList().forEach(a -> out.put(a.getShard(), a));
    return out;
  }

  /**
   * Adds to the timeline what changed since the previous picture: a new shard count, and each shard
   * whose primary changed, with its cause as the previous picture shows it ({@code failover}: the
   * old primary was silent; {@code move}: an operator's move was pending; {@code handover}: it gave
   * the shard up; {@code assigned}: the shard had none).
   */
  private void noteChanges(ClusterStatus now, long at) {
    if (previous.isPresent()) {
      ClusterStatus before = previous.get();
      int count = now.getShardMap().getShardCount();
      if (before.getShardMap().getShardCount() != count) {
        event(at, "reshard", -1, "", "", 0).put("shards", count);
      }
      Map<Integer, ShardAssignment> old = primaries(before);
      Map<String, CoreappStatus> oldCoreapps = new HashMap<>();
      before.getCoreappsList().forEach(c -> oldCoreapps.put(c.getId(), c));
      for (ShardAssignment a : now.getShardMap().getAssignmentsList()) {
        ShardAssignment was = old.get(a.getShard());
        if (was != null && was.getEpoch() == a.getEpoch()) {
          continue;
        }
        String cause;
        if (was == null) {
          cause = "assigned";
        } else if (before.getMovesMap().containsKey(a.getShard())) {
          cause = "move";
        } else {
          cause = silent(oldCoreapps.get(was.getCoreappId()), before) ? "failover" : "handover";
        }
        event(
            at,
            cause,
            a.getShard(),
            was == null ? "" : was.getCoreappId(),
            a.getCoreappId(),
            a.getEpoch());
      }
    }
    previous = Optional.of(now);
  }

  /**
   * Whether the previous picture showed the old primary silent: gone, unhealthy, or unheard for two
   * heartbeat intervals (a killed primary is replaced as it turns unhealthy, often between two
   * pictures). A primary that hands its shard over keeps heartbeating.
   */
  private static boolean silent(CoreappStatus c, ClusterStatus before) {
    long interval = before.getShardMap().getSettings().getHeartbeatIntervalMs();
    return c == null || !c.getHealthy() || c.getLastHeartbeatAgeMs() > 2 * interval;
  }

  private ObjectNode event(long at, String kind, int shard, String from, String to, long epoch) {
    ObjectNode e =
        JSON.createObjectNode()
            .put("at", at)
            .put("kind", kind)
            .put("shard", shard)
            .put("from", from)
            .put("to", to)
            .put("epoch", epoch);
    timeline.addFirst(e);
    while (timeline.size() > TIMELINE) {
      timeline.removeLast();
    }
    return e;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    clients.forEach(SseClient::close);
    admin.close();
  }
}
