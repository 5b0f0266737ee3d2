package io.multiconnect.master.raft;

import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything this master does with Ratis: the server, and one client that starts pinned to this
 * server, with no retries. Pinning alone does not keep a command decided by one leader from being
 * committed by another (the client follows "not the leader" answers); the command's proposer_term
 * does (docs/safety.md).
 */
public final class RaftAccess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftAccess.class);

  /** How long one proposal may take before it counts as failed (its outcome is then unknown). */
  static final TimeDuration REQUEST_TIMEOUT = TimeDuration.valueOf(3, TimeUnit.SECONDS);

  /** How long a new master may take to catch up during a membership change. */
  static final TimeDuration STAGING_TIMEOUT = TimeDuration.valueOf(10, TimeUnit.SECONDS);

  static final TimeDuration ADMIN_REQUEST_TIMEOUT = TimeDuration.valueOf(15, TimeUnit.SECONDS);

  private final RaftPeerId selfId;
  private final RaftGroup group;
  private final RaftServer server;
  private final RaftProperties props;
  private final RaftClient localClient;

  /**
   * For proofs of leadership only, replaced when it is found closed: a read that fails at the
   * transport level can leave a Ratis client's connection to its server closed for good (chaos seed
   * 3203: every later proof failed, also while this master led again).
   */
  private volatile RaftClient proofClient;

  /** For membership changes, leadership transfers and snapshots, which may take longer. */
  private final RaftClient adminClient;

  private final LeadershipProof proof;

  public RaftAccess(MasterConfig config, MasterStateMachine stateMachine) throws IOException {
    this.selfId = RaftPeerId.valueOf(config.nodeId());
    List<RaftPeer> peers = config.peers().stream().map(RaftAccess::toRaftPeer).toList();
    this.group = RaftGroup.valueOf(RaftGroupId.valueOf(config.groupId()), peers);
    RaftProperties props = new RaftProperties();
    this.props = props;
    RaftServerConfigKeys.setStorageDir(props, List.of(config.dataDir().toFile()));
    // Bound to the configured host, like the API port, not to every interface.
    GrpcConfigKeys.Server.setHost(props, config.self().host());
    GrpcConfigKeys.Server.setPort(props, config.self().raftPort());
    // Linearizable reads answered from the leader lease: the proof of leadership behind every
    // lease grant (docs/safety.md).
    RaftServerConfigKeys.Read.setOption(props, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Read.setLeaderLeaseEnabled(props, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, config.snapshotThreshold());
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
    RaftServerConfigKeys.Log.setPurgeGap(props, (int) Math.min(1024, config.snapshotThreshold()));
    RaftServerConfigKeys.Log.setSegmentSizeMax(
        props, SizeInBytes.valueOf(config.logSegmentBytes()));
    // A joining master has this long to catch up before a membership change gives up.
    RaftServerConfigKeys.setStagingTimeout(props, STAGING_TIMEOUT);
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, REQUEST_TIMEOUT);
    this.server =
        RaftServer.newBuilder()
            .setServerId(selfId)
            // A joining master starts with no configuration: it cannot campaign (and disturb the
            // group with a higher term) before the leader adds it and sends it the log.
            .setGroup(config.join() ? RaftGroup.valueOf(group.getGroupId()) : group)
            .setStateMachine(stateMachine)
            .setProperties(props)
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
    this.localClient = pinnedClient();
    this.proofClient = pinnedClient();
    RaftProperties adminProps = new RaftProperties(props);
    RaftClientConfigKeys.Rpc.setRequestTimeout(adminProps, ADMIN_REQUEST_TIMEOUT);
    this.adminClient =
        RaftClient.newBuilder()
            .setProperties(adminProps)
            .setRaftGroup(group)
            .setLeaderId(selfId)
            .setRetryPolicy(RetryPolicies.noRetry())
            .build();
    this.proof = new LeadershipProof(this::readTerm);
  }

  /** A client that starts at this server and never retries. */
  private RaftClient pinnedClient() {
    return RaftClient.newBuilder()
        .setProperties(props)
        .setRaftGroup(group)
        .setLeaderId(selfId)
        .setRetryPolicy(RetryPolicies.noRetry())
        .build();
  }

  private static RaftPeer toRaftPeer(PeerAddress p) {
    return RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build();
  }

  public void start() throws IOException {
    server.start();
  }

  @Override
  public void close() {
    for (RaftClient c : List.of(localClient, proofClient, adminClient)) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.warn("closing raft client", e);
      }
    }
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

  public long currentTerm() {
    return division().getInfo().getCurrentTerm();
  }

  public Optional<String> leaderId() {
    RaftPeerId id = division().getInfo().getLeaderId();
    return Optional.ofNullable(id).map(RaftPeerId::toString);
  }

  /**
   * Appends a command, never retried. The client starts pinned to this server but follows a "not
   * the leader" answer to the leader it names, so a later call may reach another master; the
   * command's proposer_term keeps such a proposal from taking effect there (MasterStateMachine).
   */
  public Proposal propose(CommandEnvelope envelope) {
    RaftClientReply reply;
    try {
      reply = localClient.io().send(Message.valueOf(ByteString.copyFrom(envelope.toByteArray())));
    } catch (IOException e) {
      return classify(e);
    }
    if (reply.isSuccess()) {
      if (reply.getMessage() != null
          && reply.getMessage().getContent().toStringUtf8().startsWith(MasterStateMachine.STALE)) {
        return new Proposal.NotLeader(Optional.empty()); // appended by a leader of another term
      }
      return new Proposal.Committed(reply.getLogIndex());
    }
    return classify(reply.getException());
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
  public Optional<String> transferLeadership(String target, long timeoutMs) {
    try {
      RaftClientReply reply =
          adminClient.admin().transferLeadership(RaftPeerId.valueOf(target), timeoutMs);
      return reply.isSuccess()
          ? Optional.empty()
          : Optional.of(String.valueOf(reply.getException()));
    } catch (IOException e) {
      return Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /** Ids of the masters in the current Raft configuration (the joint one during a change). */
  public List<String> currentPeerIds() {
    return division().getRaftConf().getAllPeers().stream().map(p -> p.getId().toString()).toList();
  }

  /** This server's role, term, commit and applied index as Ratis reports them. */
  public LocalStatus localStatus() {
    RaftServer.Division d = division();
    return new LocalStatus(
        d.getInfo().getCurrentRole().name().toLowerCase(Locale.ROOT),
        d.getInfo().getCurrentTerm(),
        d.getRaftLog().getLastCommittedIndex(),
        d.getInfo().getLastAppliedIndex());
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
      RaftClientReply reply = adminClient.admin().setConfiguration(conf);
      return reply.isSuccess()
          ? Optional.empty()
          : Optional.of(String.valueOf(reply.getException()));
    } catch (IOException e) {
      return Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
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
  public long takeSnapshot(long timeoutMs) throws IOException {
    RaftClientReply reply = adminClient.getSnapshotManagementApi(selfId).create(true, timeoutMs);
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
   * One linearizable read of the term, unordered (an ordered client's window to its server stays
   * closed after one failed request); -1 when it fails. A client found closed is replaced.
   */
  private CompletableFuture<Long> readTerm() {
    RaftClient client = proofClient;
    return client
        .async()
        .sendReadOnlyUnordered(Message.EMPTY, selfId)
        .handle(
            (reply, error) -> {
              if (error != null) {
                replaceIfClosed(client, error);
                return -1L;
              }
              return reply.isSuccess()
                  ? Long.parseLong(reply.getMessage().getContent().toStringUtf8())
                  : -1L;
            });
  }

  private void replaceIfClosed(RaftClient failed, Throwable error) {
    boolean closed = false;
    for (Throwable t = error; t != null && !closed; t = t.getCause()) {
      closed = t instanceof AlreadyClosedException;
    }
    if (!closed) {
      return;
    }
    synchronized (this) {
      if (proofClient != failed) {
        return; // replaced already
      }
      proofClient = pinnedClient();
    }
    LOG.info(
        "{}: the Raft client for proofs of leadership was closed ({}); replaced it",
        selfId,
        error.getMessage());
    try {
      failed.close();
    } catch (IOException e) {
      LOG.debug("closing the old proof client", e);
    }
  }
}
