package io.multiconnect.dataplane.coreapp;

import io.grpc.Server;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.log.NodeLogging;
import io.multiconnect.common.metrics.MetricsEndpoint;
import io.multiconnect.common.metrics.NodeMetrics;
import io.multiconnect.common.metrics.TlsMetrics;
import io.multiconnect.common.mirror.MirrorTls;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.net.StrictRequests;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.CallerRules;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.dataplane.ShardMapWatcher;
import io.multiconnect.proto.v1.CheckContactsRequest;
import io.multiconnect.proto.v1.CheckContactsResponse;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.CoreappStatusRequest;
import io.multiconnect.proto.v1.CoreappStatusResponse;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.Role;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.SendMessageResponse;
import io.multiconnect.proto.v1.SendMessagesRequest;
import io.multiconnect.proto.v1.SendMessagesResponse;
import io.multiconnect.proto.v1.SendResult;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coreapp: heartbeats to the masters, and while it holds a valid lease on a shard, holds that
 * shard's upstream session and sends the messages webapps route to it. Its two conversations are
 * {@link MasterLink} (register, heartbeat, release) and {@link UpstreamSession} (open, keep alive,
 * close, quiet time); what its lease lets it do is decided by {@link LeaseDecisions}.
 *
 * <p>Threading: one loop thread owns the lease and the session; it heartbeats every {@code
 * heartbeat_interval}, wakes at the acting deadline to close the session the moment the coreapp may
 * no longer act, and applies every answer. The gRPC handlers read the immutable {@link Acting}
 * snapshot the loop publishes, and check its deadline themselves before each send; so do the
 * keep-alives, made on the thread of the session's connection while the coreapp acts.
 */
public final class CoreappNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CoreappNode.class);

  /** Deadline of one heartbeat, release or upstream close. */
  static final Duration CALL_DEADLINE = Duration.ofSeconds(1);

  /**
   * How far the monotonic and the wall clock may drift apart between two loop ticks before the
   * coreapp distrusts its lease (a suspended host), and how late a tick may run (a long pause).
   */
  static final Duration CLOCK_DRIFT_TOLERANCE = Duration.ofMillis(250);

  static final Duration TICK_LATENESS_TOLERANCE = Duration.ofSeconds(1);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final CoreappConfig config;

  /** This process: a random nonce drawn at start, so the masters tell it from any other. */
  private final String incarnation = newIncarnation();

  private final CompletableFuture<Void> superseded = new CompletableFuture<>();
  private final NodeClock clock;
  private final ScheduledExecutorService loop;

  /** The keep-alive timer while acting; set and cancelled on the loop thread. */
  private ScheduledFuture<?> keepAlives;

  /** A quarter of the upstream's silence (at least 10 ms). */
  private final long keepAlivePeriodNanos;

  private final LeaseDecisions lease;
  private final MasterLink masters;
  private final UpstreamSession upstream;
  private final UpstreamLink upstreamLink;
  private final Server server;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ShardMapWatcher shardMap;
  private final MessageSends sends;
  private final ContactChecks contacts;
  private final Webhooks webhooks;
  private final Optional<DbLiveness> dbLiveness;
  private final Optional<LeaseJournal> journal;
  private volatile Acting acting;
  private final NodeMetrics metrics = new NodeMetrics();
  private final CoreappMetrics coreappMetrics;
  private volatile Optional<MetricsEndpoint> metricsEndpoint = Optional.empty();
  private long heartbeatIntervalMs = 1000;
  private final ClockJumps clockJumps =
      new ClockJumps(CLOCK_DRIFT_TOLERANCE, TICK_LATENESS_TOLERANCE);
  private long tickDueAfterNanos;
  private boolean stopping;
  private boolean warnedShortLease;

  /**
   * A coreapp timing its lease with {@code clock} (the chaos harness skews it), speaking to the
   * masters, the webapps and the upstream with {@code tls}.
   */
  public CoreappNode(CoreappConfig config, NodeClock clock, NodeTls tls) throws IOException {
    this.config = config;
    this.clock = clock;
    this.journal =
        config.leaseJournal().isPresent()
            ? Optional.of(new LeaseJournal(config.id(), incarnation, config.leaseJournal().get()))
            : Optional.empty();
    this.loop =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("coreapp-" + config.id()));
    this.lease = new LeaseDecisions(config.actingMargin());
    this.upstreamLink = new UpstreamLink(config.upstream(), tls);
    this.keepAlivePeriodNanos =
        Math.max(config.upstreamSilence().toNanos() / 4, TimeUnit.MILLISECONDS.toNanos(10));
    this.upstream =
        new UpstreamSession(
            config.id(),
            incarnation,
            upstreamLink,
            clock,
            loop,
            config.actingMargin(),
            CALL_DEADLINE,
            new UpstreamSession.Listener() {
              @Override
              public void sessionChanged() {
                publish();
                webhooks.holding(upstream.target().orElse(null));
              }

              @Override
              public void quiet() {
                masters.resendReleases();
              }

              @Override
              public void inbound(Webhooks.Target on, List<InboundEvent> events) {
                webhooks.received(on, events);
              }
            });
    this.masters =
        new MasterLink(
            config, incarnation, loop, clock, CALL_DEADLINE, upstream::quietAtNanos, tls);
    // A change to the shard map may concern this coreapp (its shard revoked, or a shard given to
    // it): heartbeat at once instead of at the next interval, so moves take milliseconds.
    this.shardMap =
        new ShardMapWatcher(config.masters(), "coreapp-" + config.id(), tls)
            .onChange(e -> loop.execute(this::heartbeat));
    this.sends = new MessageSends(config.id(), clock, () -> acting, shardMap, loop);
    this.contacts = new ContactChecks(clock, () -> acting, sends);
    this.webhooks = new Webhooks(config.id(), () -> shardMap.table().application());
    metrics.register(new TlsMetrics(tls));
    this.coreappMetrics =
        new CoreappMetrics(
            metrics, () -> acting, clock::nanoTime, upstream::gatewayStatus, webhooks);
    this.dbLiveness =
        config
            .liveness()
            .map(
                db ->
                    new DbLiveness(
                        MirrorTls.secured(db, tls, "coreapp " + config.id()),
                        config.id(),
                        config.address()));
    this.server =
        Endpoints.server(
                Endpoints.host(config.address()), Endpoints.port("address", config.address()), tls)
            // Calls run on the transport's threads, not handed to a pool: no handler blocks (a
            // send is checked and passed on to the upstream asynchronously, or held on a timer),
            // and a hand-off per call cost about a fifth of a coreapp's CPU under load.
            .directExecutor()
            .addService(StrictRequests.of(new Service()))
            .addService(new HealthStatusManager().getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .intercept(CALLERS.interceptor(tls))
            .build();
  }

  /** Webapps send; webapps and admin tools read the status. */
  private static final CallerRules CALLERS =
      new CallerRules()
          .allow(CoreappGrpc.getSendMessageMethod(), NodeIdentity.Role.WEBAPP)
          .allow(CoreappGrpc.getSendMessagesMethod(), NodeIdentity.Role.WEBAPP)
          .allow(CoreappGrpc.getCheckContactsMethod(), NodeIdentity.Role.WEBAPP)
          .allow(
              CoreappGrpc.getGetStatusMethod(), NodeIdentity.Role.WEBAPP, NodeIdentity.Role.ADMIN)
          .allowHealthAndReflection();

  public CoreappNode start() throws IOException {
    server.start();
    shardMap.start();
    dbLiveness.ifPresent(d -> d.start(config.dbHeartbeatInterval()));
    loop.execute(masters::register);
    loop.execute(this::tick);
    journal.ifPresent(j -> clock.onSkew(() -> loop.execute(this::publish)));
    metricsEndpoint =
        config
            .metrics()
            .map(m -> MetricsEndpoint.start(m, metrics::scrape, NodeLogging::recentLines));
    LOG.info(
        "coreapp {} listening on {}, masters {}", config.id(), config.address(), config.masters());
    return this;
  }

  public String id() {
    return config.id();
  }

  /**
   * Completes when another process registered under this coreapp's id after this one: this one has
   * then stopped acting and released what it held, and its owner should exit.
   */
  public CompletableFuture<Void> superseded() {
    return superseded;
  }

  private static String newIncarnation() {
    byte[] nonce = new byte[8];
    RANDOM.nextBytes(nonce);
    return HexFormat.of().formatHex(nonce);
  }

  /** The assignment this coreapp may act on right now, if any. */
  public Optional<Assignment> activeAssignment() {
    Acting a = acting;
    return a != null && a.mayActAt(clock.nanoTime())
        ? Optional.of(new Assignment(a.shard(), config.id(), a.epoch()))
        : Optional.empty();
  }

  /** This coreapp's meters ({@code MC_METRICS_ADDRESS} serves them). */
  public NodeMetrics metrics() {
    return metrics;
  }

  public String gatewayStatus() {
    return upstream.gatewayStatus();
  }

  // ------------------------------------------------------------------ the loop

  private void tick() {
    if (stopping) {
      return;
    }
    checkClock();
    heartbeat();
    tickDueAfterNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatIntervalMs);
    loop.schedule(this::tick, heartbeatIntervalMs, TimeUnit.MILLISECONDS);
  }

  /**
   * A clock that stood still (a suspended host) or a tick that ran late (a long pause) makes the
   * lease untrustworthy: the coreapp stops acting until a heartbeat sent from now on is answered.
   */
  private void checkClock() {
    Instant wall = clock.now();
    long wallNanos = wall.getEpochSecond() * 1_000_000_000L + wall.getNano();
    clockJumps
        .tick(clock.nanoTime(), wallNanos, tickDueAfterNanos)
        .ifPresent(
            jump -> {
              LOG.warn(
                  "coreapp {}: clock jump ({}): it stops acting until a heartbeat sent from now on"
                      + " is answered",
                  config.id(),
                  jump);
              lease.distrust();
              reconcile();
            });
  }

  /** One heartbeat (and resent releases); the periodic {@link #tick} and map changes call it. */
  private void heartbeat() {
    if (stopping) {
      return;
    }
    HeartbeatRequest request =
        HeartbeatRequest.newBuilder()
            .setCoreappId(config.id())
            .setIncarnation(incarnation)
            .setSequence(lease.beforeHeartbeat(clock.nanoTime()))
            .build();
    long sentAt = System.nanoTime();
    masters.heartbeat(
        request,
        r -> {
          coreappMetrics.heartbeatAnswered(System.nanoTime() - sentAt);
          onAnswer(r);
        });
  }

  private void onAnswer(HeartbeatResponse r) {
    if (stopping) {
      return;
    }
    heartbeatIntervalMs = Math.max(10, r.getSettings().getHeartbeatIntervalMs());
    if (r.getSuperseded() && masters.supersededBy(r.getVersion())) {
      LOG.error(
          "coreapp {}: another process registered under this id after this one (process {}):"
              + " this process stops acting, releases what it held and exits",
          config.id(),
          incarnation);
      releaseForShutdown();
      superseded.complete(null);
      return;
    }
    if (r.getUnknownCoreapp() || r.getSuperseded()) {
      masters.register(); // not registered yet, or the masters lost this process's registration
      return;
    }
    Optional<Assignment> primary =
        r.getRole() == Role.PRIMARY
            ? Optional.of(new Assignment(r.getShard(), config.id(), r.getEpoch()))
            : Optional.empty();
    Duration leaseDuration = Duration.ofNanos(r.getLeaseDurationNanos());
    if (primary.isPresent() && lease.leavesNoTimeToAct(leaseDuration) && !warnedShortLease) {
      warnedShortLease = true;
      LOG.warn(
          "coreapp {}: a lease of {} ms leaves no time to act: it stops MC_UPSTREAM_SILENCE_MS"
              + " + MC_UPSTREAM_DELAY_MS ({} ms) before the lease ends; raise unhealthy_interval",
          config.id(),
          leaseDuration.toMillis(),
          config.actingMargin().toMillis());
    }
    List<Long> release =
        lease.onAnswer(
            r.getSequence(), primary, r.getShardCount(), leaseDuration, r.getReleaseEpochsList());
    for (long epoch : release) {
      upstream.closeIfHeld(epoch, "epoch " + epoch + " revoked");
      masters.release(epoch);
    }
    reconcile();
  }

  /** Makes the session match the lease: open it while the lease is valid, close it otherwise. */
  private void reconcile() {
    OptionalLong held =
        upstream.held().map(h -> OptionalLong.of(h.epoch())).orElse(OptionalLong.empty());
    LeaseDecisions.Step step = lease.reconcile(held, clock.nanoTime());
    step.close().ifPresent(upstream::close);
    step.open().ifPresent(o -> upstream.open(o.assignment(), o.shardCount()));
    publish();
    step.recheckAtNanos()
        .ifPresent(
            at ->
                loop.schedule(
                    this::reconcile, Math.max(0, at - clock.nanoTime()), TimeUnit.NANOSECONDS));
  }

  private void publish() {
    long now = clock.nanoTime();
    Acting next = lease.acting(upstream.held(), now).orElse(null);
    // Journaled before it is published, so no send can precede the claim that covers it.
    // In machine time, comparable with other processes' records; written again when the clock's
    // rate changes, since the machine time at which the lease runs out changes with it.
    journal.ifPresent(
        j -> {
          long machineNow = clock.machineNanosAt(now);
          if (next == null) {
            j.stopped(machineNow);
          } else {
            j.acting(
                next.shard(),
                next.shardCount(),
                next.epoch(),
                clock.machineNanosAt(next.deadlineNanos()),
                machineNow);
          }
        });
    Acting before = acting;
    acting = next;
    if (next != before) { // a new snapshot every time: held messages are checked again
      sends.activeChanged();
    }
    keepAliveWhileActing();
  }

  /**
   * Keep-alives go every quarter of the upstream's silence while this coreapp acts, from the thread
   * of the session's connection (one wake-up each, not three), and the timer stops when it stops
   * acting: a secondary has none.
   */
  private void keepAliveWhileActing() {
    if (acting != null && keepAlives == null) {
      try {
        keepAlives =
            upstreamLink
                .windowThread()
                .scheduleWithFixedDelay(
                    () -> upstream.keepAlive(acting),
                    keepAlivePeriodNanos,
                    keepAlivePeriodNanos,
                    TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closed) {
        // shutting down: the windows' thread reset every session's connection as it stopped
      }
    } else if (acting == null && keepAlives != null) {
      keepAlives.cancel(false);
      keepAlives = null;
    }
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Graceful release: stop acting, close the upstream session, then confirm to the masters so the
   * leader moves the shard at once instead of after {@code unhealthy_interval}.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      loop.submit(this::releaseForShutdown).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("coreapp {}: graceful release did not finish: {}", config.id(), e.toString());
    }
    metricsEndpoint.ifPresent(MetricsEndpoint::close);
    loop.shutdownNow();
    masters.close();
    server.shutdownNow();
    shardMap.close();
    webhooks.close();
    dbLiveness.ifPresent(DbLiveness::close);
    upstreamLink.close();
    metrics.close();
    LOG.info("coreapp {} stopped", config.id());
  }

  private void releaseForShutdown() {
    stopping = true;
    Optional<Long> epoch = lease.relinquish();
    publish();
    if (epoch.isEmpty()) {
      upstream.closeIfAny("shutting down");
      return;
    }
    // A session that broke earlier may still be open at the upstream too: wait for quiet either
    // way.
    upstream.closeAndAwaitQuiet();
    if (masters.releaseOnShutdown(epoch.get())) {
      LOG.info("coreapp {} released shard epoch {} on shutdown", config.id(), epoch.get());
    } else {
      LOG.warn(
          "coreapp {}: no master confirmed the release; the leader will move the shard after"
              + " unhealthy_interval",
          config.id());
    }
  }

  // ------------------------------------------------------------------ serving

  private final class Service extends CoreappGrpc.CoreappImplBase {
    @Override
    public void sendMessage(SendMessageRequest r, StreamObserver<SendMessageResponse> out) {
      long arrived = System.nanoTime();
      sends.send(
          List.of(r),
          results -> {
            coreappMetrics.sent(results, System.nanoTime() - arrived);
            SendResult result = results.get(0);
            if (result.hasRefusal()) {
              out.onError(GrpcWire.refused(result.getRefusal()));
            } else {
              out.onNext(SendMessageResponse.newBuilder().setId(result.getId()).build());
              out.onCompleted();
            }
          });
    }

    @Override
    public void sendMessages(SendMessagesRequest r, StreamObserver<SendMessagesResponse> out) {
      long arrived = System.nanoTime();
      sends.send(
          r.getMessagesList(),
          results -> {
            coreappMetrics.sent(results, System.nanoTime() - arrived);
            out.onNext(SendMessagesResponse.newBuilder().addAllResults(results).build());
            out.onCompleted();
          });
    }

    @Override
    public void checkContacts(CheckContactsRequest r, StreamObserver<CheckContactsResponse> out) {
      contacts.check(r, out);
    }

    @Override
    public void getStatus(CoreappStatusRequest r, StreamObserver<CoreappStatusResponse> out) {
      Acting a = acting;
      long remaining = a == null ? 0 : (a.deadlineNanos() - clock.nanoTime()) / 1_000_000;
      boolean primary = a != null && remaining > 0;
      out.onNext(
          CoreappStatusResponse.newBuilder()
              .setCoreappId(config.id())
              .setRole(primary ? "primary" : "secondary")
              .setShard(primary ? a.shard() : -1)
              .setEpoch(primary ? a.epoch() : 0)
              .setGatewayStatus(upstream.gatewayStatus())
              .setLeaseRemainingMs(Math.max(0, remaining))
              .setMessagesSent(coreappMetrics.messagesSent())
              .setWebhookEventsDelivered(webhooks.delivered())
              .build());
      out.onCompleted();
    }
  }
}
