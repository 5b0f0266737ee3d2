package io.multiconnect.master;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.multiconnect.common.auth.LoginThrottle;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.log.NodeLogging;
import io.multiconnect.common.metrics.MetricsEndpoint;
import io.multiconnect.common.metrics.NodeMetrics;
import io.multiconnect.common.metrics.TlsMetrics;
import io.multiconnect.common.mirror.MirrorTls;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.net.StrictRequests;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.CallerRules;
import io.multiconnect.common.tls.NodeIdentity.Role;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.ClusterVersion;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Coordinator;
import io.multiconnect.master.grpc.AdminAuth;
import io.multiconnect.master.grpc.AdminService;
import io.multiconnect.master.grpc.ControlPlaneService;
import io.multiconnect.master.grpc.LatencyHistogram;
import io.multiconnect.master.grpc.LeaderChannels;
import io.multiconnect.master.grpc.LeaderFeed;
import io.multiconnect.master.grpc.StatusView;
import io.multiconnect.master.grpc.WatchHub;
import io.multiconnect.master.mirror.MirrorPublisher;
import io.multiconnect.master.port.Leaders;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.raft.CommandCodec;
import io.multiconnect.master.raft.MasterStateMachine;
import io.multiconnect.master.raft.Proposal;
import io.multiconnect.master.raft.RaftAccess;
import io.multiconnect.master.raft.RatisMetrics;
import io.multiconnect.master.raft.StalledFollowers;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One master: a Ratis server with the {@link MasterStateMachine}, the gRPC API (ControlPlane,
 * Admin, health, reflection), and the control loop that runs the {@link Coordinator} while this
 * master leads. A {@link Leadership} is made when Ratis reports this master ready as leader and
 * dropped when another master leads; the services see it, the state and the log only through the
 * narrow ports of {@code master.port}.
 *
 * <p>Threads: Ratis's own; gRPC's executor for calls, except heartbeats, handled on the transport
 * threads, which also run a proof of leadership the lease answers at once; a thread that submits
 * the other proofs and a pool that answers the callers of those that waited; one control thread
 * that plans and proposes, one round at a time, waking at the coordinator's next check time or when
 * an event (an applied entry, this master becoming the leader) may make a round useful. Lifecycle:
 * new -> started -> closed, guarded by compare-and-set.
 */
public final class MasterNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MasterNode.class);

  /**
   * Upper bound on the control loop's sleep, so a missed wake-up costs at most this much. It is
   * woken by every applied entry, by a new leadership and by a heartbeat that makes a coreapp
   * healthy; the coordinator names the next moment a silence runs out.
   */
  private static final Duration MAX_IDLE = Duration.ofSeconds(1);

  /** Pause after a round whose proposals did not all commit, so a sick log is not hammered. */
  private static final Duration FAILED_ROUND_BACKOFF = Duration.ofMillis(100);

  /**
   * How long a follower may answer the leader without its match index moving toward the commit
   * index before this leader hands leadership on ({@link StalledFollowers}). Past any transient
   * fault: after a one-way cut of 6.6 s healed, a follower stayed behind 8 s more in chaos seed
   * 3632 (TCP retransmission backoff), and 15 s handed leadership on needlessly.
   */
  private static final Duration FOLLOWER_STALL = Duration.ofSeconds(30);

  /** How often the leader looks at its followers' progress. */
  private static final Duration FOLLOWER_CHECK = Duration.ofSeconds(1);

  private enum Lifecycle {
    NEW,
    STARTED,
    CLOSED
  }

  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.NEW);
  private final MasterConfig config;
  private final MasterStateMachine stateMachine;

  /** The highest cluster version this master's release supports ({@link ClusterVersion}). */
  private final int supportedVersion;

  /**
   * Completed with the reason when this master met an entry or a snapshot its release cannot apply:
   * it stopped applying, and its process should stop ({@code MasterMain} exits).
   */
  private final CompletableFuture<String> incompatible = new CompletableFuture<>();

  private final NodeClock clock;
  private final RaftAccess raft;

  /** Failed password checks per user (Login and Basic credentials), on this master. */
  private final LoginThrottle logins;

  private final MasterDirectory directory;
  private final Leaders leaders;
  private final WatchHub watchHub = new WatchHub();
  private final LeaderChannels leaderChannels;
  private final LeaderFeed leaderFeed;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server grpcServer;
  private final Semaphore wakeups = new Semaphore(0);
  private final Thread controlThread;

  /**
   * Where Admin calls that may check a password run (bcrypt, 50-100 ms a check), instead of gRPC's
   * unbounded pool: a flood of logins waits its turn on {@link #PASSWORD_THREADS} threads while
   * heartbeats, Watch and reads keep theirs and the cores. The queue is not bounded: a call gRPC
   * has accepted must be answered, and a rejected task leaves its call unanswered until the
   * client's deadline; what a peer may have open is bounded per connection instead.
   */
  private final ThreadPoolExecutor passwordWork =
      new ThreadPoolExecutor(
          PASSWORD_THREADS,
          PASSWORD_THREADS,
          0,
          TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(),
          DaemonThreads.named("password-checks"));

  static final int PASSWORD_THREADS = 2;
  private final PlanningRound planning;
  private final Optional<MirrorPublisher> mirror;

  private final NodeMetrics metrics = new NodeMetrics();
  private final LatencyHistogram heartbeatHandling =
      new LatencyHistogram(MasterMetrics.heartbeatHandling(metrics.registry()));
  private final MasterMetrics masterMetrics;
  private volatile Optional<MetricsEndpoint> metricsEndpoint = Optional.empty();

  /** Used by the control thread only. */
  private final StalledFollowers stalledFollowers =
      new StalledFollowers(FOLLOWER_STALL, Duration.ofSeconds(2));

  private long followersCheckedInTerm = -1;
  private long nextFollowerCheckNanos;

  /** This master's leadership while it leads and is ready. */
  private final LeadershipSlot leadership = new LeadershipSlot();

  /**
   * A master deciding with {@code clock} (the chaos harness skews it; see {@link NodeClock}),
   * serving and calling the other nodes with {@code tls}.
   */
  public MasterNode(MasterConfig config, NodeClock clock, NodeTls tls) throws IOException {
    this(config, clock, tls, ClusterVersion.SUPPORTED);
  }

  /**
   * A master whose release supports cluster versions up to {@code supportedVersion}: below {@link
   * ClusterVersion#SUPPORTED}, it stands for a master of an earlier release in the tests of
   * upgrades.
   */
  public MasterNode(MasterConfig config, NodeClock clock, NodeTls tls, int supportedVersion)
      throws IOException {
    this.config = config;
    this.supportedVersion = supportedVersion;
    this.stateMachine = new MasterStateMachine(supportedVersion);
    this.clock = clock;
    this.raft = new RaftAccess(config, stateMachine, tls);
    this.logins = new LoginThrottle(clock::nanoTime);
    this.directory = new MasterDirectory(config, this::state, raft);
    this.leaders =
        new Leaders() {
          @Override
          public Optional<Leadership> current() {
            return leadership();
          }

          @Override
          public Optional<PeerAddress> hint() {
            return leaderHint();
          }

          @Override
          public PeerAddress self() {
            return config.self();
          }
        };
    this.leaderChannels = new LeaderChannels(tls);
    this.leaderFeed = new LeaderFeed(config.nodeId(), this::leaderHint, leaderChannels, watchHub);
    stateMachine.setListener(new StateListener());
    this.mirror =
        config
            .mirror()
            .map(
                m ->
                    new MirrorPublisher(
                        MirrorTls.secured(m, tls, "master " + config.nodeId()),
                        this::isLeading,
                        config.nodeId()));
    PeerAddress self = config.self();
    StatusView status =
        new StatusView(
            leaders,
            this::state,
            raft,
            directory,
            mirror,
            heartbeatHandling,
            leaderChannels,
            config.zone(),
            supportedVersion);
    this.masterMetrics =
        new MasterMetrics(metrics, status, raft, this::isLeading, watchHub::watchers);
    metrics.register(new RatisMetrics(config.nodeId()));
    metrics.register(new TlsMetrics(tls));
    this.grpcServer =
        Endpoints.server(self.host(), self.apiPort(), tls)
            .callExecutor(
                new ServerCallExecutorSupplier() {
                  @Override
                  public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
                    Executor heartbeats =
                        ControlPlaneService.HEARTBEATS_ON_TRANSPORT_THREAD.getExecutor(
                            call, headers);
                    if (heartbeats != null) {
                      return heartbeats;
                    }
                    return AdminAuth.checksPasswords(call.getMethodDescriptor().getFullMethodName())
                        ? passwordWork
                        : null;
                  }
                })
            .addService(
                StrictRequests.of(
                    new ControlPlaneService(
                        leaders,
                        this::propose,
                        this::state,
                        clock,
                        heartbeatHandling,
                        watchHub,
                        leaderChannels,
                        id -> directory.currentPeerIds().contains(id),
                        this::wake)))
            .addService(
                StrictRequests.of(
                    ServerInterceptors.intercept(
                        new AdminService(
                            leaders,
                            this::propose,
                            this::state,
                            raft,
                            directory,
                            status,
                            clock,
                            leaderChannels,
                            logins),
                        new AdminAuth(this::state, clock::now, logins))))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .intercept(CALLERS.interceptor(tls))
            .build();
    this.planning =
        new PlanningRound(config.nodeId(), config.initialShards(), this::state, this::propose);
    this.controlThread = DaemonThreads.thread("control-" + config.nodeId(), this::controlLoop);
  }

  /**
   * Coreapps register, heartbeat and release (as themselves: ControlPlaneService checks); webapps,
   * coreapps and admin tools watch; admin tools and webapps (for the REST API's users) use the
   * Admin API, whose writes also need a user's token; the webapps' HTTPS certificate (with its key)
   * goes to webapps only. Masters relay any of it to the leader.
   */
  private static final CallerRules CALLERS = callers();

  private static CallerRules callers() {
    CallerRules rules =
        new CallerRules()
            .allow(ControlPlaneGrpc.getRegisterMethod(), Role.COREAPP, Role.MASTER)
            .allow(ControlPlaneGrpc.getHeartbeatMethod(), Role.COREAPP, Role.MASTER)
            .allow(ControlPlaneGrpc.getHeartbeatStreamMethod(), Role.COREAPP, Role.MASTER)
            .allow(ControlPlaneGrpc.getReleaseMethod(), Role.COREAPP, Role.MASTER)
            .allow(
                ControlPlaneGrpc.getWatchMethod(),
                Role.WEBAPP,
                Role.COREAPP,
                Role.ADMIN,
                Role.MASTER)
            .allowHealthAndReflection();
    for (MethodDescriptor<?, ?> m : AdminGrpc.getServiceDescriptor().getMethods()) {
      if (m != AdminGrpc.getGetExternalCertificateMethod()) {
        rules.allow(m, Role.ADMIN, Role.WEBAPP, Role.MASTER);
      }
    }
    // The webapps' HTTPS certificate comes with its private key: for webapps alone.
    rules.allow(AdminGrpc.getGetExternalCertificateMethod(), Role.WEBAPP);
    return rules;
  }

  public MasterNode start() throws IOException {
    if (!lifecycle.compareAndSet(Lifecycle.NEW, Lifecycle.STARTED)) {
      throw new IllegalStateException("already " + lifecycle.get());
    }
    try {
      raft.start();
    } catch (IOException | RuntimeException e) {
      close();
      stateMachine.incompatibility().ifPresent(incompatible::complete);
      throw e;
    }
    watchHub.publish(stateMachine.state());
    grpcServer.start();
    leaderFeed.start();
    mirror.ifPresent(MirrorPublisher::start);
    controlThread.start();
    metricsEndpoint =
        config
            .metrics()
            .map(m -> MetricsEndpoint.start(m, metrics::scrape, NodeLogging::recentLines));
    LOG.info(
        "master {} started: raft {}, api {}, data {}",
        config.nodeId(),
        config.self().raftAddress(),
        config.self().apiAddress(),
        config.dataDir());
    return this;
  }

  @Override
  public void close() {
    if (lifecycle.getAndSet(Lifecycle.CLOSED) != Lifecycle.STARTED) {
      return;
    }
    health.enterTerminalState();
    metricsEndpoint.ifPresent(MetricsEndpoint::close);
    controlThread.interrupt();
    grpcServer.shutdownNow();
    passwordWork.shutdownNow();
    leaderFeed.close();
    watchHub.close();
    mirror.ifPresent(MirrorPublisher::close);
    leaderChannels.close();
    raft.close();
    try {
      grpcServer.awaitTermination(5, TimeUnit.SECONDS);
      controlThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    metrics.close();
    LOG.info("master {} stopped", config.nodeId());
  }

  public MasterConfig config() {
    return config;
  }

  public ClusterState state() {
    return stateMachine.state();
  }

  /**
   * Completes with the reason once this master met an entry or a snapshot its release cannot apply
   * (it stopped applying; the process should stop and run a release that supports it).
   */
  public CompletableFuture<String> incompatible() {
    return incompatible;
  }

  /** The mirror publisher, when this master has a mirror database. */
  public Optional<MirrorPublisher> mirror() {
    return mirror;
  }

  public NodeClock clock() {
    return clock;
  }

  public RaftAccess raft() {
    return raft;
  }

  /** This master's leadership, while it leads and Ratis reported it ready. */
  public Optional<Leadership> leadership() {
    return leadership.current();
  }

  /** True while this master leads under a leadership Ratis reported ready. */
  public boolean isLeading() {
    return leadership().isPresent();
  }

  /** Receipt to answer of each heartbeat this master answered as the leader. */
  /** This master's meters, Ratis's included ({@code MC_METRICS_ADDRESS} serves them). */
  public NodeMetrics metrics() {
    return metrics;
  }

  public LatencyHistogram heartbeatHandling() {
    return heartbeatHandling;
  }

  /** The API address of the leader this master knows of, if any. */
  public Optional<PeerAddress> leaderHint() {
    return directory.leaderHint();
  }

  /** The masters of the current Raft configuration, by id, with their addresses. */
  public List<PeerAddress> members() {
    return directory.members();
  }

  /**
   * Proposes a command through this master's own Ratis server (see RaftAccess), stamped with {@code
   * term}, the term of the leadership that decided it. Should the entry be appended by a leader of
   * another term, every master applies it as a no-op.
   */
  public Proposal propose(Command command, long term) {
    Proposal p =
        raft.propose(CommandCodec.encode(command).toBuilder().setProposerTerm(term).build());
    if (p instanceof Proposal.NotLeader n && n.leaderId().isEmpty()) {
      p = new Proposal.NotLeader(raft.leaderId());
    }
    masterMetrics.proposed(command, p);
    return p;
  }

  /** Asks the control loop for a planning round soon. */
  private void wake() {
    wakeups.release();
  }

  private void controlLoop() {
    while (lifecycle.get() == Lifecycle.STARTED) {
      try {
        boolean allCommitted = runRound();
        long waitNanos = MAX_IDLE.toNanos();
        OptionalLong next =
            leadership()
                .map(l -> l.coordinator().nextCheckTimeNanos(state()))
                .orElse(OptionalLong.empty());
        if (next.isPresent()) {
          waitNanos = Math.max(0, Math.min(waitNanos, next.getAsLong() - clock.nanoTime()));
        }
        if (!allCommitted) {
          // Retried after the backoff whatever is due: a placement that did not commit has no
          // deadline of its own to wake the loop.
          waitNanos = FAILED_ROUND_BACKOFF.toNanos();
        }
        if (wakeups.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
          wakeups.drainPermits();
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.error("control loop round failed; continuing", e);
      }
    }
  }

  /** One planning round of the leadership in force when it starts; false when not all committed. */
  private boolean runRound() {
    Optional<Leadership> leading = leadership();
    if (leading.isEmpty()) {
      return true;
    }
    boolean allCommitted = planning.run(leading.get());
    checkFollowers(leading.get().term());
    return allCommitted;
  }

  /**
   * Hands leadership to an up-to-date follower when another one answers but never catches up (see
   * {@link StalledFollowers}): the next leader replicates to it afresh. At most once per {@link
   * #FOLLOWER_STALL}.
   */
  private void checkFollowers(long term) {
    long now = clock.nanoTime();
    if (now - nextFollowerCheckNanos < 0) {
      return;
    }
    nextFollowerCheckNanos = now + FOLLOWER_CHECK.toNanos();
    if (followersCheckedInTerm != term) {
      stalledFollowers.reset();
      followersCheckedInTerm = term;
    }
    long commitIndex = raft.localStatus().commitIndex();
    List<StalledFollowers.Follower> followers = raft.followers();
    List<String> stalled = stalledFollowers.observe(now, commitIndex, followers);
    if (stalled.isEmpty()) {
      return;
    }
    stalledFollowers.reset();
    Optional<String> target = stalledFollowers.handOverTo(commitIndex, followers, stalled);
    LOG.warn(
        "leader {}: follower(s) {} answer but have not caught up for {} s (commit index {}, {}):"
            + " {}",
        config.nodeId(),
        stalled,
        FOLLOWER_STALL.toSeconds(),
        commitIndex,
        followers,
        target.map(t -> "handing leadership to " + t).orElse("no up-to-date follower to hand to"));
    target.ifPresent(
        t ->
            raft.transferLeadership(t, FOLLOWER_STALL.toMillis() / 5)
                .ifPresent(error -> LOG.warn("leadership transfer to {} failed: {}", t, error)));
  }

  private final class StateListener implements MasterStateMachine.Listener {
    @Override
    public void applied(ClusterState state) {
      leadership().ifPresent(l -> l.coordinator().applied(state));
      watchHub.publish(state);
      mirror.ifPresent(m -> m.offer(state));
      wake();
    }

    @Override
    public void leaderReady() {
      long term = raft.currentTerm();
      Leadership next =
          new Leadership(
              term,
              new Coordinator(clock::nanoTime, state(), config.deregisterAfter()),
              raft::proveLeadership);
      if (!leadership.ready(next, raft::leadsInTerm)) {
        LOG.info("master {} stepped down in term {} before it was ready", config.nodeId(), term);
        return;
      }
      mirror.ifPresent(m -> m.offer(state()));
      masterMetrics.leadershipChanged(true);
      LOG.info(
          "master {} is the leader in term {}; every coreapp gets a grace period of {} ms",
          config.nodeId(),
          term,
          state().leaseBoundInterval().toMillis());
      wake();
    }

    @Override
    public void cannotApply(String reason) {
      incompatible.complete(reason);
    }

    @Override
    public void leaderChanged(RaftPeerId newLeaderId) {
      leaderFeed.leaderChanged();
      if (!RaftPeerId.valueOf(config.nodeId()).equals(newLeaderId)) {
        if (leadership.stepDown().isPresent()) {
          masterMetrics.leadershipChanged(false);
          LOG.info(
              "master {} is no longer the leader (new leader {})", config.nodeId(), newLeaderId);
        }
        raft.abandonProofs();
      }
    }
  }
}
