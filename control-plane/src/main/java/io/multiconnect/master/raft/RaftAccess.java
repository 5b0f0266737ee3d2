package io.multiconnect.master.raft;

import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.node.PrivateDirectory;
import io.multiconnect.common.tls.CallerRules;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.port.RaftControl;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import javax.net.ssl.SSLSession;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Grpc;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything this master does with Ratis: the server, to which proposals and proofs of leadership
 * go in process (never forwarded to another master), and a client for membership changes,
 * leadership transfers and snapshots. A command carries the term it was decided in, and counts only
 * in an entry of that term (docs/safety.md).
 */
public final class RaftAccess implements RaftControl, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftAccess.class);

  /** How long one proposal may take before it counts as failed (its outcome is then unknown). */
  static final TimeDuration REQUEST_TIMEOUT = TimeDuration.valueOf(3, TimeUnit.SECONDS);

  /** How long a new master may take to catch up during a membership change. */
  static final TimeDuration STAGING_TIMEOUT = TimeDuration.valueOf(10, TimeUnit.SECONDS);

  /**
   * Ratis's leader lease as a fraction of the minimum election timeout. Ratis's default, 0.9, is
   * safe only for clock-rate errors up to 5.3 %; 0.8 is safe up to 1/9, the same bound as the
   * coreapps' leases ({@link io.multiconnect.common.lease.LeaseRules#MAX_CLOCK_RATE_DRIFT}).
   */
  static final double LEADER_LEASE_RATIO = 0.8;

  static final TimeDuration ADMIN_REQUEST_TIMEOUT = TimeDuration.valueOf(15, TimeUnit.SECONDS);

  private final RaftPeerId selfId;
  private final RaftGroup group;
  private final RaftServer server;

  /** Call ids of this master's own membership, leadership and snapshot requests. */
  private final ClientId adminClientId = ClientId.randomId();

  private final AtomicLong adminCalls = new AtomicLong();

  private final LeadershipProof proof;

  /**
   * Proof reads go straight to this server, not through a Ratis client: no loopback gRPC hop each
   * way (a proof took 10-25 ms at p50 that way while the machine was busy, 2-5 ms in process; see
   * docs/benchmarks-log-2026-11.md). A read is submitted on the thread of the heartbeat that needs
   * it when no round is in flight; otherwise on this thread. Ratis completes a read that waits on
   * its own threads, its state machine updater among them, and submitting the next read from there
   * stalled the proofs for good (MasterClusterTest). A read's answer is only parsed where Ratis
   * completes it; the callers of a read that waited are answered on {@link #proofAnswers}
   * (LeadershipProof).
   */
  private final ExecutorService proofThread =
      Executors.newSingleThreadExecutor(DaemonThreads.named("leadership-proof"));

  /** Where the callers of a proof round are answered (see LeadershipProof). */
  private final ExecutorService proofAnswers =
      Executors.newFixedThreadPool(
          Runtime.getRuntime().availableProcessors(), DaemonThreads.named("proof-answers-%d"));

  private final ClientId proofClientId = ClientId.randomId();
  private final AtomicLong proofCalls = new AtomicLong();
  private final ClientId writeClientId = ClientId.randomId();
  private final AtomicLong writeCalls = new AtomicLong();

  /**
   * The Ratis server of this master. With TLS on, its port takes only masters, and this master
   * dials only masters (checked on the certificate in both directions); in every mode the port
   * serves only Raft between masters: Ratis's client and admin protocols are refused there, since
   * this master makes its proposals and its membership, leadership and snapshot requests in process
   * (docs/security.md).
   */
  public RaftAccess(MasterConfig config, MasterStateMachine stateMachine, NodeTls tls)
      throws IOException {
    PrivateDirectory.of(config.dataDir()); // the log holds password hashes and the token key
    this.selfId = RaftPeerId.valueOf(config.nodeId());
    List<RaftPeer> peers = config.peers().stream().map(RaftAccess::toRaftPeer).toList();
    this.group = RaftGroup.valueOf(RaftGroupId.valueOf(config.groupId()), peers);
    RaftProperties props = serverProperties(config);
    this.server =
        RaftServer.newBuilder()
            .setServerId(selfId)
            // A joining master starts with no configuration: it cannot campaign (and disturb the
            // group with a higher term) before the leader adds it and sends it the log.
            .setGroup(config.join() ? RaftGroup.valueOf(group.getGroupId()) : group)
            .setStateMachine(stateMachine)
            .setProperties(props)
            // A joining master has no configuration yet: it hears the master that adds it.
            .setParameters(
                serverParameters(
                    tls,
                    id -> {
                      List<String> members = currentPeerIds();
                      return members.isEmpty() || members.contains(id);
                    }))
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
    this.proof = new LeadershipProof(this::readTerm, proofThread, proofAnswers);
  }

  private static RaftPeer toRaftPeer(PeerAddress p) {
    return RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build();
  }

  /** Starts the Raft server; a state machine that could not load its snapshot fails it. */
  public void start() throws IOException {
    try {
      server.start();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw e;
    }
  }

  @Override
  public void close() {
    proofThread.shutdownNow();
    proofAnswers.shutdownNow();
    try {
      server.close();
    } catch (IOException e) {
      LOG.warn("closing raft server", e);
    }
  }

  public RaftGroup group() {
    return group;
  }

  public RaftServer.Division division() {
    try {
      return server.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new IllegalStateException("raft group not found", e);
    }
  }

  /** Ratis's own services; on the Raft port only the first is served. */
  static final String RAFT_SERVICE = RaftServerProtocolServiceGrpc.SERVICE_NAME;

  /** TLS between masters only, and a Raft port that serves nothing but Raft. */
  static Parameters serverParameters(NodeTls tls, Predicate<String> members) {
    Parameters params = new Parameters();
    if (tls.enabled()) {
      GrpcConfigKeys.Server.setTlsConf(
          params,
          new GrpcTlsConfig(tls.keyManager(), tls.trustManager(PeerCheck.role(Role.MASTER)), true));
    }
    GrpcConfigKeys.Server.setServicesCustomizer(
        params, (builder, types) -> builder.intercept(new RaftOnly(members)));
    return params;
  }

  /**
   * Refuses every call but Raft's own (appends, votes, snapshots, read indexes, elections) with
   * {@code PERMISSION_DENIED}: no client writes, no configuration changes, no group removal from
   * the network, even from a master's certificate. With TLS on, Raft's own calls too are taken only
   * from a master of the current configuration, and only for requests in its own name: Ratis
   * believes the sender id written in a request, and accepts appends from any peer with a high
   * enough term, so a removed master's certificate, or a member writing another's id, would
   * otherwise be heard as a leader.
   */
  static final class RaftOnly implements ServerInterceptor {
    private final Predicate<String> members;

    RaftOnly(Predicate<String> members) {
      this.members = members;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
      String service = call.getMethodDescriptor().getServiceName();
      if (!RAFT_SERVICE.equals(service)) {
        return refuse(
            call, "the Raft port serves only Raft between masters; use the Admin API (mcctl)");
      }
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      if (session == null) {
        return next.startCall(call, headers); // TLS off: nothing identifies anyone
      }
      Optional<NodeIdentity> peer = CallerRules.certificate(session).flatMap(NodeIdentity::of);
      Optional<String> refused = refusal(peer, members);
      if (refused.isPresent()) {
        return refuse(call, refused.get());
      }
      String id = peer.orElseThrow().id();
      ServerCall.Listener<Q> listener = next.startCall(call, headers);
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        private boolean closed;

        @Override
        public void onMessage(Q message) {
          if (closed) {
            return;
          }
          Optional<String> claimed = requestor(message);
          if (claimed.isPresent() && !claimed.get().equals(id)) {
            closed = true;
            LOG.warn("refused a Raft request from master/{} in the name of {}", id, claimed.get());
            call.close(
                Status.PERMISSION_DENIED.withDescription(
                    "master/" + id + " may not send Raft requests as " + claimed.get()),
                new Metadata());
            return;
          }
          super.onMessage(message);
        }
      };
    }

    private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, String why) {
      LOG.warn(
          "refused {} on the Raft port from {}: {}",
          call.getMethodDescriptor().getFullMethodName(),
          call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
          why);
      call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
      return new ServerCall.Listener<>() {};
    }
  }

  /**
   * Why a TLS peer may not speak Raft to this master, or empty: it must be a master of the current
   * configuration.
   */
  static Optional<String> refusal(Optional<NodeIdentity> peer, Predicate<String> members) {
    if (peer.isEmpty() || peer.get().role() != Role.MASTER) {
      return Optional.of("only masters speak Raft here");
    }
    return members.test(peer.get().id())
        ? Optional.empty()
        : Optional.of("master/" + peer.get().id() + " is not a member of the Raft group");
  }

  /** The master a Raft request says it comes from, for the kinds that say so. */
  static Optional<String> requestor(Object message) {
    RaftRpcRequestProto request;
    if (message instanceof AppendEntriesRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof RequestVoteRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof InstallSnapshotRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof ReadIndexRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof StartLeaderElectionRequestProto m) {
      request = m.getServerRequest();
    } else {
      return Optional.empty();
    }
    return Optional.of(request.getRequestorId().toStringUtf8());
  }

  /** The Ratis server's properties for this master. */
  static RaftProperties serverProperties(MasterConfig config) {
    RaftProperties props = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(props, List.of(config.dataDir().toFile()));
    // Bound to the configured host, like the API port, not to every interface.
    GrpcConfigKeys.Server.setHost(props, config.self().host());
    GrpcConfigKeys.Server.setPort(props, config.self().raftPort());
    // Linearizable reads answered from the leader lease: the proof of leadership behind every
    // lease grant (docs/safety.md).
    RaftServerConfigKeys.Read.setOption(props, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Read.setLeaderLeaseEnabled(props, true);
    RaftServerConfigKeys.Read.setLeaderLeaseTimeoutRatio(props, LEADER_LEASE_RATIO);
    // The election timeout, and with it the idle heartbeat (half its minimum) and the leader lease
    // (LEADER_LEASE_RATIO of its minimum).
    RaftServerConfigKeys.Rpc.setTimeoutMin(
        props,
        TimeDuration.valueOf(
            config.raftTiming().electionTimeoutMin().toMillis(), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(
        props,
        TimeDuration.valueOf(
            config.raftTiming().electionTimeoutMax().toMillis(), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, config.snapshotThreshold());
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
    RaftServerConfigKeys.Log.setPurgeGap(props, (int) Math.min(1024, config.snapshotThreshold()));
    RaftServerConfigKeys.Log.setSegmentSizeMax(
        props, SizeInBytes.valueOf(config.logSegmentBytes()));
    // A joining master has this long to catch up before a membership change gives up.
    RaftServerConfigKeys.setStagingTimeout(props, STAGING_TIMEOUT);
    return props;
  }

  /**
   * The largest clock-rate error {@code ρ} between masters under which a leader lease of {@code
   * ratio} times the minimum election timeout ends before any follower can time out and elect
   * another leader. The lease runs from the send time of a heartbeat a majority acknowledged, on
   * the leader's clock: at most {@code ratio T / (1 - ρ)} of real time; a follower that received
   * that heartbeat waits at least {@code T / (1 + ρ)}. Safe while {@code ratio (1 + ρ) <= 1 - ρ}.
   */
  static double leaderLeaseDriftBound(double ratio) {
    return (1 - ratio) / (1 + ratio);
  }

  @Override
  public long currentTerm() {
    return division().getInfo().getCurrentTerm();
  }

  /** Whether Ratis has this master leading, in {@code term}. */
  public boolean leadsInTerm(long term) {
    DivisionInfo info = division().getInfo();
    return info.isLeader() && info.getCurrentTerm() == term;
  }

  public Optional<String> leaderId() {
    RaftPeerId id = division().getInfo().getLeaderId();
    return Optional.ofNullable(id).map(RaftPeerId::toString);
  }

  /**
   * Appends a command through this master's own Ratis server, in process, never retried and never
   * forwarded: on a master that does not lead it fails with "not the leader" (naming the leader
   * when known). A command decided in one term that is appended in another anyway (a proposal that
   * reached this server just after it lost its term and won a later one) is applied as a no-op: its
   * proposer_term (MasterStateMachine). The outcome of a proposal with no reply within {@link
   * #REQUEST_TIMEOUT} is unknown.
   */
  public Proposal propose(CommandEnvelope envelope) {
    RaftClientRequest request =
        request(
            writeClientId,
            writeCalls.incrementAndGet(),
            Message.valueOf(ByteString.copyFrom(envelope.toByteArray())),
            RaftClientRequest.writeRequestType());
    RaftClientReply reply;
    try {
      reply =
          server
              .submitClientRequestAsync(request)
              .get(REQUEST_TIMEOUT.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS);
    } catch (IOException e) {
      return classify(e);
    } catch (ExecutionException e) {
      return classify(e.getCause());
    } catch (TimeoutException e) {
      return new Proposal.Failed("no reply within " + REQUEST_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Proposal.Failed("interrupted");
    }
    if (reply.isSuccess()) {
      if (reply.getMessage() != null
          && reply.getMessage().getContent().toStringUtf8().startsWith(MasterStateMachine.STALE)) {
        return new Proposal.Stale();
      }
      return new Proposal.Committed(reply.getLogIndex());
    }
    return classify(reply.getException());
  }

  /** A request from this master to its own server; call ids are unique per client id. */
  private RaftClientRequest request(
      ClientId client, long callId, Message message, RaftClientRequest.Type type) {
    return RaftClientRequest.newBuilder()
        .setClientId(client)
        .setServerId(selfId)
        .setGroupId(group.getGroupId())
        .setCallId(callId)
        .setMessage(message)
        .setType(type)
        .build();
  }

  private Proposal classify(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof NotLeaderException nle) {
        return new Proposal.NotLeader(
            Optional.ofNullable(nle.getSuggestedLeader()).map(p -> p.getId().toString()));
      }
      Optional<Rejection> rejection = MasterStateMachine.InvalidCommandException.parse(t);
      if (rejection.isPresent()) {
        return new Proposal.Rejected(rejection.get());
      }
    }
    return new Proposal.Failed(
        e == null ? "unknown" : e.getClass().getSimpleName() + ": " + e.getMessage());
  }

  /**
   * Asks Ratis to hand leadership to {@code target}; returns an error text, or empty on success.
   */
  @Override
  public Optional<String> transferLeadership(String target, long timeoutMs) {
    try {
      return outcome(
          server.transferLeadershipAsync(
              new TransferLeadershipRequest(
                  adminClientId,
                  selfId,
                  group.getGroupId(),
                  adminCalls.incrementAndGet(),
                  RaftPeerId.valueOf(target),
                  timeoutMs)));
    } catch (IOException e) {
      return Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /** Ids of the masters in the current Raft configuration (the joint one during a change). */
  public List<String> currentPeerIds() {
    return division().getRaftConf().getAllPeers().stream().map(p -> p.getId().toString()).toList();
  }

  /** This server's role, term, commit and applied index as Ratis reports them. */
  @Override
  public LocalStatus localStatus() {
    RaftServer.Division d = division();
    return new LocalStatus(
        d.getInfo().getCurrentRole().name().toLowerCase(Locale.ROOT),
        d.getInfo().getCurrentTerm(),
        d.getRaftLog().getLastCommittedIndex(),
        d.getInfo().getLastAppliedIndex());
  }

  /**
   * What this leader's replication knows of each follower (empty when it does not lead, or when the
   * configuration changed while Ratis was asked, so no index is paired with the wrong id).
   */
  public List<StalledFollowers.Follower> followers() {
    DivisionInfo info = division().getInfo();
    RoleInfoProto role = info.getRoleInfoProto();
    long[] match = info.getFollowerMatchIndices();
    if (!role.hasLeaderInfo() || match == null) {
      return List.of();
    }
    List<ServerRpcProto> rpcs = role.getLeaderInfo().getFollowerInfoList();
    if (rpcs.size() != match.length) {
      return List.of();
    }
    List<StalledFollowers.Follower> out = new ArrayList<>();
    for (int i = 0; i < match.length; i++) {
      ServerRpcProto rpc = rpcs.get(i);
      out.add(
          new StalledFollowers.Follower(
              rpc.getId().getId().toStringUtf8(), match[i], rpc.getLastRpcElapsedTimeMs()));
    }
    return out;
  }

  /** See {@link #localStatus}. */
  public record LocalStatus(String role, long term, long commitIndex, long appliedIndex) {}

  /**
   * Replaces the group's configuration with {@code peers} ({@code id -> host:raftPort}). Ratis
   * brings new peers up to date as non-voting members first. Returns an error text, or empty.
   */
  public Optional<String> setConfiguration(Map<String, String> peers) {
    List<RaftPeer> conf =
        peers.entrySet().stream()
            .map(e -> RaftPeer.newBuilder().setId(e.getKey()).setAddress(e.getValue()).build())
            .toList();
    try {
      return outcome(
          server.setConfigurationAsync(
              new SetConfigurationRequest(
                  adminClientId, selfId, group.getGroupId(), adminCalls.incrementAndGet(), conf)));
    } catch (IOException e) {
      return Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /**
   * Waits up to {@link #ADMIN_REQUEST_TIMEOUT} for one of this master's own admin requests; an
   * error text, or empty on success.
   */
  private static Optional<String> outcome(CompletableFuture<RaftClientReply> request) {
    try {
      RaftClientReply reply =
          request.get(ADMIN_REQUEST_TIMEOUT.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS);
      return reply.isSuccess()
          ? Optional.empty()
          : Optional.of(String.valueOf(reply.getException()));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      return Optional.of(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    } catch (TimeoutException e) {
      return Optional.of("no reply within " + ADMIN_REQUEST_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
  }

  /** The Raft address of every member of the current configuration, by id. */
  public Map<String, String> currentRaftAddresses() {
    Map<String, String> out = new TreeMap<>();
    division()
        .getRaftConf()
        .getCurrentPeers()
        .forEach(p -> out.put(p.getId().toString(), p.getAddress()));
    return out;
  }

  /** Takes a snapshot on this server; returns the index it covers. */
  @Override
  public long takeSnapshot(long timeoutMs) throws IOException {
    RaftClientReply reply =
        server.snapshotManagement(
            SnapshotManagementRequest.newCreate(
                adminClientId,
                selfId,
                group.getGroupId(),
                adminCalls.incrementAndGet(),
                timeoutMs,
                1)); // a creation gap of 1: a snapshot even if few entries came since the last
    if (!reply.isSuccess()) {
      throw new IOException("snapshot failed: " + reply.getException());
    }
    return reply.getLogIndex();
  }

  /** A proof of leadership from a linearizable read that starts after this call. */
  public CompletableFuture<Long> proveLeadership() {
    return proof.afterNow();
  }

  /** Another master leads now: every proof still waiting fails at once (see LeadershipProof). */
  public void abandonProofs() {
    proof.abandon();
  }

  /**
   * One linearizable read of the term, submitted to this server; -1 when it fails or takes longer
   * than {@link #REQUEST_TIMEOUT} (what the Ratis client it replaced waited).
   */
  private CompletableFuture<Long> readTerm() {
    return submitRead()
        .orTimeout(REQUEST_TIMEOUT.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS)
        .handle(
            (reply, error) ->
                error == null && reply.isSuccess()
                    ? Long.parseLong(reply.getMessage().getContent().toStringUtf8())
                    : -1L);
  }

  /**
   * Submits the read to this group's server on the calling thread (see {@link #proofThread}). The
   * server wide entry point, {@code RaftServer.submitClientRequestAsync}, hands every request to
   * Ratis's client executor and waits for it there: one more thread hand-off each way, where a read
   * answered from the lease takes microseconds. The group's server is reached through the public
   * {@link RaftClientAsynchronousProtocol}, which Ratis 3.3.0's division implements; if a release
   * stops doing so, reads take the server-wide path again.
   */
  private CompletableFuture<RaftClientReply> submitRead() {
    RaftClientRequest read =
        request(
            proofClientId,
            proofCalls.incrementAndGet(),
            Message.EMPTY,
            RaftClientRequest.readRequestType());
    try {
      return division() instanceof RaftClientAsynchronousProtocol group
          ? group.submitClientRequestAsync(read)
          : server.submitClientRequestAsync(read);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
