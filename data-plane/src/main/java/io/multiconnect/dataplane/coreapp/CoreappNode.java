package io.multiconnect.dataplane.coreapp;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.CoreappLease;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.dataplane.HeartbeatStream;
import io.multiconnect.dataplane.ShardMapWatcher;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.CoreappStatusRequest;
import io.multiconnect.proto.v1.CoreappStatusResponse;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.ReleaseRequest;
import io.multiconnect.proto.v1.Role;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.SendMessageResponse;
import io.multiconnect.proto.v1.SendMessagesRequest;
import io.multiconnect.proto.v1.SendMessagesResponse;
import io.multiconnect.proto.v1.SendResult;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.SessionAck;
import io.multiconnect.proto.v1.upstream.SessionEvent;
import io.multiconnect.proto.v1.upstream.SessionRef;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coreapp: heartbeats to the masters, and while it holds a valid lease on a shard, holds that
 * shard's upstream session and sends the messages webapps route to it.
 *
 * <p>Threading: one loop thread owns the lease and the session; it heartbeats every {@code
 * heartbeat_interval}, wakes at the lease deadline to close the session the moment the lease
 * lapses, and applies every answer. The gRPC handlers read an immutable {@link Active} snapshot the
 * loop publishes, and check the lease deadline themselves before each send.
 */
public final class CoreappNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CoreappNode.class);

  /** Deadline of one heartbeat or release call. */
  static final Duration CALL_DEADLINE = Duration.ofSeconds(1);

  /** What the handlers may act on: published by the loop, read by any thread. */
  record Active(
      int shard, int shardCount, long epoch, String sessionId, long leaseExpiresAtNanos) {}

  /** The loop's view of the upstream session it holds (or is opening). */
  private static final class Session {
    final int shard;
    final int shardCount;
    final long epoch;
    final Context.CancellableContext context = Context.current().withCancellation();
    final long quietBefore; // quietAtNanos when it was opened: bounds every earlier session
    String sessionId; // set when accepted; loop thread only

    Session(int shard, int shardCount, long epoch, long quietBefore) {
      this.shard = shard;
      this.shardCount = shardCount;
      this.epoch = epoch;
      this.quietBefore = quietBefore;
    }
  }

  private final CoreappConfig config;
  private final ScheduledExecutorService loop;
  private final List<ManagedChannel> masterChannels = new ArrayList<>();
  private final ManagedChannel upstreamChannel;
  private final Server server;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CoreappLease lease = new CoreappLease();
  private final ShardMapWatcher shardMap;
  private final MessageSends sends;
  private final HeartbeatStream heartbeats;
  private final Optional<DbLiveness> dbLiveness;
  private final NodeClock clock;
  private final long silenceNanos;
  private final Optional<LeaseJournal> journal;
  // Revoked epochs not yet confirmed released, with when this coreapp learned of the revocation.
  private final Map<Long, Long> pendingReleases = new LinkedHashMap<>();
  private volatile Active active;
  private volatile String gatewayStatus = "disconnected";
  private Session session;
  private Session lastOpened;
  // From this moment on (node clock) the upstream counts none of this coreapp's sessions as open:
  // a revoked epoch is confirmed released only then (or once the upstream confirmed the close).
  // At start, sessions a previous run of this coreapp left open go silent at the latest.
  private long quietAtNanos;
  private ScheduledFuture<?> expiryCheck; // wakes the loop at the lease deadline
  private int masterIndex;
  private int shardCount = 1;
  private long heartbeatIntervalMs = 1000;
  private boolean stopping;
  private boolean warnedShortLease;

  public CoreappNode(CoreappConfig config) throws IOException {
    this(config, NodeClock.system());
  }

  /** A coreapp timing its lease with {@code clock} (the chaos harness skews it). */
  public CoreappNode(CoreappConfig config, NodeClock clock) throws IOException {
    this.config = config;
    this.clock = clock;
    this.silenceNanos = config.upstreamSilence().toNanos();
    this.quietAtNanos = clock.nanoTime() + silenceNanos;
    this.journal =
        config.leaseJournal().isPresent()
            ? Optional.of(new LeaseJournal(config.id(), config.leaseJournal().get()))
            : Optional.empty();
    this.loop =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("coreapp-" + config.id()));
    config.masters().forEach(m -> masterChannels.add(Endpoints.channel(m)));
    this.heartbeats = new HeartbeatStream(loop, CALL_DEADLINE);
    this.upstreamChannel = Endpoints.channel(config.upstream());
    // A change to the shard map may concern this coreapp (its shard revoked, or a shard given to
    // it): heartbeat at once instead of at the next interval, so moves take milliseconds.
    this.shardMap =
        new ShardMapWatcher(config.masters(), "coreapp-" + config.id())
            .onChange(e -> loop.execute(this::heartbeat));
    this.sends =
        new MessageSends(config.id(), clock, () -> active, upstreamChannel, shardMap, loop);
    this.dbLiveness =
        config.liveness().map(db -> new DbLiveness(db, config.id(), config.address()));
    this.server =
        Endpoints.server(
                Endpoints.host(config.address()), Endpoints.port("address", config.address()))
            // Calls run on the transport's threads, not handed to a pool: no handler blocks (a
            // send is checked and passed on to the upstream asynchronously, or held on a timer),
            // and a hand-off per call cost about a fifth of a coreapp's CPU under load.
            .directExecutor()
            .addService(new Service())
            .addService(new HealthStatusManager().getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
  }

  public CoreappNode start() throws IOException {
    server.start();
    shardMap.start();
    dbLiveness.ifPresent(d -> d.start(config.dbHeartbeatInterval()));
    loop.execute(this::register); // also undrains a coreapp that left before
    loop.execute(this::tick);
    long keepAlivePeriod = Math.max(silenceNanos / 4, TimeUnit.MILLISECONDS.toNanos(10));
    loop.scheduleWithFixedDelay(
        this::keepSessionAlive, keepAlivePeriod, keepAlivePeriod, TimeUnit.NANOSECONDS);
    journal.ifPresent(j -> clock.onSkew(() -> loop.execute(this::publish)));
    LOG.info(
        "coreapp {} listening on {}, masters {}", config.id(), config.address(), config.masters());
    return this;
  }

  public String id() {
    return config.id();
  }

  /** The assignment this coreapp may act on right now, if any. */
  public Optional<Assignment> activeAssignment() {
    Active a = active;
    return a != null && clock.nanoTime() - a.leaseExpiresAtNanos < 0
        ? Optional.of(new Assignment(a.shard, config.id(), a.epoch))
        : Optional.empty();
  }

  public String gatewayStatus() {
    return gatewayStatus;
  }

  // ------------------------------------------------------------------ the loop

  private ControlPlaneGrpc.ControlPlaneFutureStub master() {
    return ControlPlaneGrpc.newFutureStub(masterChannels.get(masterIndex))
        .withDeadline(Deadline.after(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
  }

  private void nextMaster() {
    masterIndex = (masterIndex + 1) % masterChannels.size();
  }

  private void tick() {
    if (stopping) {
      return;
    }
    heartbeat();
    loop.schedule(this::tick, heartbeatIntervalMs, TimeUnit.MILLISECONDS);
  }

  /** One heartbeat (and resent releases); the periodic {@link #tick} and map changes call it. */
  private void heartbeat() {
    if (stopping) {
      return;
    }
    long seq = lease.beforeSend(clock.nanoTime());
    HeartbeatRequest request =
        HeartbeatRequest.newBuilder()
            .setCoreappId(config.id())
            .setSequence(seq)
            .setHeldEpoch(session == null ? 0 : session.epoch)
            .build();
    onLoop(
        heartbeats.send(masterChannels.get(masterIndex), request),
        this::onAnswer,
        e -> nextMaster());
    for (long epoch : List.copyOf(pendingReleases.keySet())) {
      sendRelease(epoch);
    }
  }

  private void onAnswer(HeartbeatResponse r) {
    if (stopping) {
      return;
    }
    heartbeatIntervalMs = Math.max(10, r.getSettings().getHeartbeatIntervalMs());
    if (r.getUnknownCoreapp()) {
      register();
      return;
    }
    Optional<Assignment> primary =
        r.getRole() == Role.PRIMARY
            ? Optional.of(new Assignment(r.getShard(), config.id(), r.getEpoch()))
            : Optional.empty();
    if (primary.isPresent()) {
      shardCount = r.getShardCount();
      if (r.getLeaseDurationNanos() <= silenceNanos && !warnedShortLease) {
        warnedShortLease = true;
        LOG.warn(
            "coreapp {}: a lease of {} ms leaves no time to act: it stops MC_UPSTREAM_SILENCE_MS"
                + " ({} ms) before the lease ends; raise unhealthy_interval",
            config.id(),
            r.getLeaseDurationNanos() / 1_000_000,
            silenceNanos / 1_000_000);
      }
    }
    List<Long> release =
        lease.onAnswer(
            r.getSequence(),
            primary,
            Duration.ofNanos(r.getLeaseDurationNanos()),
            r.getReleaseEpochsList());
    for (long epoch : release) {
      if (session != null && session.epoch == epoch) {
        closeSession("epoch " + epoch + " revoked");
      }
      pendingReleases.putIfAbsent(epoch, clock.nanoTime());
      sendRelease(epoch);
    }
    reconcile();
  }

  /** Makes the session match the lease: open it while the lease is valid, close it otherwise. */
  private void reconcile() {
    long now = clock.nanoTime();
    Optional<Assignment> a = lease.active(now + silenceNanos);
    if (a.isEmpty()) {
      if (session != null) {
        closeSession("lease lapsed");
      }
      publish();
      return;
    }
    if (session != null && session.epoch != a.get().epoch()) {
      closeSession("epoch changed to " + a.get().epoch());
    }
    if (session == null) {
      openSession(a.get());
    }
    publish();
    long expiresAt = actingDeadline();
    loop.schedule(this::reconcile, Math.max(0, expiresAt - clock.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /**
   * The end of the lease less the upstream's silence timeout: the coreapp acts (sends, keeps its
   * session alive) only before it, so the upstream has dropped its session by the time the lease
   * runs out even if the coreapp was cut off from it and could not close it.
   */
  private long actingDeadline() {
    return lease.leaseExpiresAtNanos() - silenceNanos;
  }

  private void publish() {
    long now = clock.nanoTime();
    Optional<Assignment> a = lease.active(now + silenceNanos);
    Active next =
        a.isPresent() && session != null && session.epoch == a.get().epoch()
            ? new Active(
                a.get().shard(),
                session.shardCount,
                session.epoch,
                session.sessionId,
                actingDeadline())
            : null;
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
                next.shard,
                next.shardCount,
                next.epoch,
                clock.machineNanosAt(next.leaseExpiresAtNanos),
                machineNow);
          }
        });
    Active before = active;
    active = next;
    if (next != before) {
      sends.activeChanged();
    }
  }

  private void openSession(Assignment a) {
    Session s = new Session(a.shard(), shardCount, a.epoch(), quietAtNanos);
    session = s;
    lastOpened = s;
    gatewayStatus = "connecting";
    OpenSessionRequest request =
        OpenSessionRequest.newBuilder()
            .setCoreappId(config.id())
            .setShard(a.shard())
            .setShardCount(shardCount)
            .setEpoch(a.epoch())
            .build();
    LOG.info(
        "coreapp {} is primary of shard {}/{} at epoch {}: opening its upstream session",
        config.id(),
        a.shard(),
        shardCount,
        a.epoch());
    s.context.run(
        () ->
            UpstreamGrpc.newStub(upstreamChannel)
                .openSession(
                    request,
                    new StreamObserver<>() {
                      @Override
                      public void onNext(SessionEvent e) {
                        loop.execute(() -> onSessionEvent(s, e));
                      }

                      @Override
                      public void onError(Throwable t) {
                        loop.execute(
                            () -> onSessionEnded(s, Status.fromThrowable(t).toString(), false));
                      }

                      @Override
                      public void onCompleted() {
                        loop.execute(() -> onSessionEnded(s, "closed by the upstream", true));
                      }
                    }));
  }

  private void onSessionEvent(Session s, SessionEvent e) {
    if (session != s) {
      return;
    }
    if (e.hasAccepted()) {
      s.sessionId = e.getAccepted().getSessionId();
      gatewayStatus = "connected";
      publish();
    } else {
      onSessionEnded(s, e.getClosed().getReason(), true);
    }
  }

  /**
   * The session's stream ended. Unless the upstream itself closed it, the upstream may still count
   * it as open until it has not heard from this coreapp for its silence timeout.
   */
  private void onSessionEnded(Session s, String reason, boolean closedByUpstream) {
    if (session == s && !closedByUpstream) {
      quietAtNanos = Math.max(quietAtNanos, clock.nanoTime() + silenceNanos);
    }
    if (session == s) {
      LOG.warn("coreapp {}: upstream session for epoch {} ended: {}", config.id(), s.epoch, reason);
      session = null;
      gatewayStatus = "disconnected";
      publish();
    }
  }

  /**
   * Stops acting on the session and closes it: at once on this side, and at the upstream when the
   * close arrives (the returned call). Until the upstream confirms, it may count the session as
   * open for its silence timeout.
   */
  private ListenableFuture<SessionAck> closeSession(String reason) {
    Session s = session;
    session = null;
    gatewayStatus = "disconnected";
    publish();
    long closing = clock.nanoTime();
    quietAtNanos = Math.max(quietAtNanos, closing + silenceNanos);
    ListenableFuture<SessionAck> closed =
        s.sessionId == null
            ? Futures.immediateFailedFuture(new IllegalStateException("never accepted"))
            : UpstreamGrpc.newFutureStub(upstreamChannel)
                .withDeadline(Deadline.after(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                .closeSession(
                    SessionRef.newBuilder().setSessionId(s.sessionId).setEpoch(s.epoch).build());
    s.context.cancel(null);
    onLoop(
        closed,
        ok -> {
          LOG.info(
              "coreapp {}: the upstream confirmed the close of epoch {} after {} ms",
              config.id(),
              s.epoch,
              (clock.nanoTime() - closing) / 1_000_000);
          if (lastOpened == s) {
            quietAtNanos = s.quietBefore; // nothing opened since: only earlier sessions remain
            List.copyOf(pendingReleases.keySet()).forEach(this::sendRelease);
          }
        },
        e -> {});
    LOG.info(
        "coreapp {} closed its upstream session for shard {} epoch {}: {}",
        config.id(),
        s.shard,
        s.epoch,
        reason);
    return closed;
  }

  /** Tells the upstream this coreapp still holds its session, while it may act on it. */
  private void keepSessionAlive() {
    Active a = active;
    if (a == null || a.sessionId == null || clock.nanoTime() - a.leaseExpiresAtNanos >= 0) {
      return;
    }
    UpstreamGrpc.newFutureStub(upstreamChannel)
        .withDeadline(Deadline.after(silenceNanos, TimeUnit.NANOSECONDS))
        .keepAlive(SessionRef.newBuilder().setSessionId(a.sessionId).setEpoch(a.epoch).build());
  }

  private void register() {
    RegisterRequest r =
        RegisterRequest.newBuilder().setCoreappId(config.id()).setAddress(config.address()).build();
    onLoop(
        master().register(r),
        ok -> LOG.info("coreapp {} registered", config.id()),
        e -> nextMaster());
  }

  private void sendRelease(long epoch) {
    long wait = quietAtNanos - clock.nanoTime();
    if (wait > 0) {
      loop.schedule(
          () -> {
            if (pendingReleases.containsKey(epoch)) {
              sendRelease(epoch);
            }
          },
          wait,
          TimeUnit.NANOSECONDS);
      return;
    }
    ReleaseRequest r =
        ReleaseRequest.newBuilder().setCoreappId(config.id()).setEpoch(epoch).build();
    onLoop(
        master().release(r),
        ok -> {
          Long revoked = pendingReleases.remove(epoch);
          if (revoked != null) {
            LOG.info(
                "coreapp {}: the masters confirmed the release of epoch {} {} ms after it was"
                    + " revoked",
                config.id(),
                epoch,
                (clock.nanoTime() - revoked) / 1_000_000);
          }
        },
        e -> nextMaster());
  }

  private <T> void onLoop(
      ListenableFuture<T> f,
      java.util.function.Consumer<T> ok,
      java.util.function.Consumer<Throwable> failed) {
    Futures.addCallback(
        f,
        new FutureCallback<T>() {
          @Override
          public void onSuccess(T result) {
            ok.accept(result);
          }

          @Override
          public void onFailure(Throwable t) {
            failed.accept(t);
          }
        },
        loop);
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
    loop.shutdownNow();
    heartbeats.close();
    server.shutdownNow();
    shardMap.close();
    dbLiveness.ifPresent(DbLiveness::close);
    List<ManagedChannel> all = new ArrayList<>(masterChannels);
    all.add(upstreamChannel);
    Endpoints.shutdown(all);
    LOG.info("coreapp {} stopped", config.id());
  }

  private void releaseForShutdown() {
    stopping = true;
    Optional<Long> epoch = lease.relinquish();
    publish();
    if (epoch.isEmpty()) {
      if (session != null) {
        closeSession("shutting down");
      }
      return;
    }
    // A session that broke earlier may still be open at the upstream too: wait for quiet either
    // way.
    awaitQuiet();
    ReleaseRequest r =
        ReleaseRequest.newBuilder()
            .setCoreappId(config.id())
            .setEpoch(epoch.get())
            .setLeaving(true)
            .build();
    for (int attempt = 0; attempt < masterChannels.size() * 2; attempt++) {
      try {
        ControlPlaneGrpc.newBlockingStub(masterChannels.get(masterIndex))
            .withDeadline(Deadline.after(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
            .release(r);
        LOG.info("coreapp {} released shard epoch {} on shutdown", config.id(), epoch.get());
        return;
      } catch (RuntimeException e) {
        nextMaster();
      }
    }
    LOG.warn(
        "coreapp {}: no master confirmed the release; the leader will move the shard after"
            + " unhealthy_interval",
        config.id());
  }

  /**
   * Before confirming a release on shutdown: closes the session and waits until the upstream holds
   * none of this coreapp's sessions: confirmed by the upstream, or (if it cannot be reached) once
   * it has surely dropped them for silence. Blocks the loop, which is stopping anyway.
   */
  private void awaitQuiet() {
    Session s = session;
    long quietAt = quietAtNanos;
    if (s != null) {
      ListenableFuture<SessionAck> closed = closeSession("shutting down");
      quietAt = quietAtNanos;
      try {
        closed.get(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        quietAt = s.quietBefore; // this one is closed: only earlier sessions remain
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        LOG.info(
            "coreapp {}: the upstream did not confirm the close: {}", config.id(), e.toString());
      }
    }
    long wait = quietAt - clock.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------ serving

  private final class Service extends CoreappGrpc.CoreappImplBase {
    @Override
    public void sendMessage(SendMessageRequest r, StreamObserver<SendMessageResponse> out) {
      sends.send(
          List.of(r),
          results -> {
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
      sends.send(
          r.getMessagesList(),
          results -> {
            out.onNext(SendMessagesResponse.newBuilder().addAllResults(results).build());
            out.onCompleted();
          });
    }

    @Override
    public void getStatus(CoreappStatusRequest r, StreamObserver<CoreappStatusResponse> out) {
      Active a = active;
      long remaining = a == null ? 0 : (a.leaseExpiresAtNanos - clock.nanoTime()) / 1_000_000;
      boolean primary = a != null && remaining > 0;
      out.onNext(
          CoreappStatusResponse.newBuilder()
              .setCoreappId(config.id())
              .setRole(primary ? "primary" : "secondary")
              .setShard(primary ? a.shard : -1)
              .setEpoch(primary ? a.epoch : 0)
              .setGatewayStatus(gatewayStatus)
              .setLeaseRemainingMs(Math.max(0, remaining))
              .build());
      out.onCompleted();
    }
  }
}
