package io.multiconnect.master.grpc;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.LeaseRules;
import io.multiconnect.common.lease.Revocation;
import io.multiconnect.common.net.HostPort;
import io.multiconnect.master.MasterNode;
import io.multiconnect.master.auth.Passwords;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Coreapp;
import io.multiconnect.master.core.Master;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.core.Settings;
import io.multiconnect.master.core.User;
import io.multiconnect.master.mirror.MirrorPublisher;
import io.multiconnect.master.raft.Proposal;
import io.multiconnect.master.raft.RaftAccess;
import io.multiconnect.proto.v1.AddMasterRequest;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.GetLocalRaftStatusRequest;
import io.multiconnect.proto.v1.GetSettingsRequest;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.GetTokenKeyRequest;
import io.multiconnect.proto.v1.ListMastersRequest;
import io.multiconnect.proto.v1.ListMastersResponse;
import io.multiconnect.proto.v1.LoginRequest;
import io.multiconnect.proto.v1.LoginResponse;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.MirrorStatus;
import io.multiconnect.proto.v1.MovePrimaryRequest;
import io.multiconnect.proto.v1.MovePrimaryResponse;
import io.multiconnect.proto.v1.RemoveMasterRequest;
import io.multiconnect.proto.v1.SetDrainedRequest;
import io.multiconnect.proto.v1.SetShardCountRequest;
import io.multiconnect.proto.v1.SetShardCountResponse;
import io.multiconnect.proto.v1.TakeSnapshotRequest;
import io.multiconnect.proto.v1.TakeSnapshotResponse;
import io.multiconnect.proto.v1.TokenKey;
import io.multiconnect.proto.v1.TransferLeadershipRequest;
import io.multiconnect.proto.v1.TransferLeadershipResponse;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator API. Reads are answered by any master from its applied state; writes only by the
 * leader (a follower answers with where the leader is, see {@link GrpcErrors}).
 */
public final class AdminService extends AdminGrpc.AdminImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AdminService.class);

  /** How long GetStatus waits for the other masters' Raft status. */
  static final long PEER_STATUS_DEADLINE_MS = 500;

  /** How long a leadership transfer, snapshot or membership change may take. */
  static final long ADMIN_OPERATION_TIMEOUT_MS = 5_000;

  private final MasterNode node;
  private final LeaderChannels channels;

  public AdminService(MasterNode node, LeaderChannels channels) {
    this.node = node;
    this.channels = channels;
  }

  /** True on the leader; otherwise answers with where the leader is and returns false. */
  private boolean leaderOnly(StreamObserver<?> out) {
    if (node.isLeading()) {
      return true;
    }
    out.onError(GrpcErrors.notLeader(node.config().nodeId(), node.leaderHint()));
    return false;
  }

  /** Proposes {@code command}; answers {@code response} of its index once committed. */
  private <T> void commit(Command command, StreamObserver<T> out, LongFunction<T> response) {
    Proposal p = node.propose(command);
    LOG.info("admin: {} -> {}", command, p);
    if (p instanceof Proposal.Committed c) {
      out.onNext(response.apply(c.index()));
      out.onCompleted();
    } else {
      out.onError(GrpcErrors.of(p, node.config().nodeId(), node.leaderHint()));
    }
  }

  @Override
  public void getStatus(GetStatusRequest request, StreamObserver<ClusterStatus> out) {
    ClusterState state = node.state();
    Optional<PeerAddress> leader = node.leaderHint();
    ClusterStatus.Builder b =
        ClusterStatus.newBuilder()
            .setAnsweredBy(node.config().nodeId())
            .setLeader(ControlPlaneService.hint(leader))
            .setTerm(node.raft().currentTerm())
            .setAppliedIndex(state.version())
            .setShardMap(Protos.shardMap(state));
    b.addAllMasters(request.getLocalOnly() ? membersOnly(leader) : masters(leader));
    boolean leading = node.isLeading();
    b.setMirror(mirrorStatus(state));
    state.moves().forEach(b::putMoves);
    for (String id : state.coreapps().keySet()) {
      b.addCoreapps(coreappStatus(state, id));
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void setShardCount(
      SetShardCountRequest request, StreamObserver<SetShardCountResponse> out) {
    if (!leaderOnly(out)) {
      return;
    }
    Optional<Rejection> refused =
        node.coordinator().checkShardCount(node.state(), request.getShardCount());
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    commit(
        new Command.SetShardCount(request.getShardCount()),
        out,
        index ->
            SetShardCountResponse.newBuilder()
                .setVersion(index)
                .setShardCount(request.getShardCount())
                .build());
  }

  @Override
  public void login(LoginRequest request, StreamObserver<LoginResponse> out) {
    // On the leader only: it has applied every password change it acknowledged, so a login right
    // after a change sees it (a follower may not have applied it yet).
    if (!leaderOnly(out)) {
      return;
    }
    ClusterState state = node.state();
    User user = state.users().get(request.getUsername());
    if (user == null || !Passwords.matches(request.getPassword(), user.passwordHash())) {
      out.onError(
          Status.UNAUTHENTICATED
              .withDescription("wrong username or password")
              .asRuntimeException());
      return;
    }
    String newPassword = request.getNewPassword();
    if (user.mustChangePassword() && newPassword.isEmpty()) {
      out.onError(
          Status.FAILED_PRECONDITION
              .withDescription("new_password: the password must be changed at first login")
              .asRuntimeException());
      return;
    }
    if (!newPassword.isEmpty()) {
      Optional<Rejection> weak = Passwords.checkPolicy(newPassword);
      if (weak.isPresent()) {
        out.onError(GrpcErrors.invalid(weak.get()));
        return;
      }
      Proposal p =
          node.propose(new Command.PutUser(user.username(), Passwords.hash(newPassword), false));
      if (!(p instanceof Proposal.Committed)) {
        out.onError(GrpcErrors.of(p, node.config().nodeId(), node.leaderHint()));
        return;
      }
    }
    if (state.tokenKey().isEmpty()) {
      out.onError(
          Status.UNAVAILABLE
              .withDescription("the cluster is still initialising")
              .asRuntimeException());
      return;
    }
    Instant expires = node.clock().now().plus(Tokens.DEFAULT_LIFETIME);
    out.onNext(
        LoginResponse.newBuilder()
            .setToken(Tokens.issue(state.tokenKey(), user.username(), expires))
            .setExpiresAtUnixSeconds(expires.getEpochSecond())
            .build());
    out.onCompleted();
  }

  @Override
  public void transferLeadership(
      TransferLeadershipRequest request, StreamObserver<TransferLeadershipResponse> out) {
    String target = request.getMasterId();
    if (!node.raft().currentPeerIds().contains(target)) {
      out.onError(
          GrpcErrors.invalid(new Rejection("master_id", "unknown master '" + target + "'")));
      return;
    }
    if (!leaderOnly(out)) {
      return;
    }
    Optional<String> failed = node.raft().transferLeadership(target, ADMIN_OPERATION_TIMEOUT_MS);
    LOG.info("admin: leadership transfer to {}: {}", target, failed.orElse("done"));
    if (failed.isPresent()) {
      out.onError(
          Status.UNAVAILABLE
              .withDescription("leadership transfer to " + target + " failed: " + failed.get())
              .asRuntimeException());
      return;
    }
    out.onNext(TransferLeadershipResponse.newBuilder().setLeaderId(target).build());
    out.onCompleted();
  }

  @Override
  public void takeSnapshot(TakeSnapshotRequest request, StreamObserver<TakeSnapshotResponse> out) {
    if (!leaderOnly(out)) {
      return;
    }
    try {
      long index = node.raft().takeSnapshot(ADMIN_OPERATION_TIMEOUT_MS);
      out.onNext(
          TakeSnapshotResponse.newBuilder()
              .setMasterId(node.config().nodeId())
              .setIndex(index)
              .build());
      out.onCompleted();
    } catch (java.io.IOException e) {
      out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void getTokenKey(GetTokenKeyRequest request, StreamObserver<TokenKey> out) {
    out.onNext(TokenKey.newBuilder().setKey(node.state().tokenKey()).build());
    out.onCompleted();
  }

  @Override
  public void getSettings(GetSettingsRequest request, StreamObserver<ClusterSettings> out) {
    out.onNext(Protos.settings(node.state().settings()));
    out.onCompleted();
  }

  @Override
  public void updateSettings(UpdateSettingsRequest request, StreamObserver<ClusterSettings> out) {
    if (!leaderOnly(out)) {
      return;
    }
    Settings current = node.state().settings();
    Settings wanted =
        new Settings(
            request.getHeartbeatIntervalMs() == 0
                ? current.heartbeatInterval()
                : Duration.ofMillis(request.getHeartbeatIntervalMs()),
            request.getUnhealthyIntervalMs() == 0
                ? current.unhealthyInterval()
                : Duration.ofMillis(request.getUnhealthyIntervalMs()));
    commit(
        new Command.UpdateSettings(wanted.heartbeatInterval(), wanted.unhealthyInterval()),
        out,
        index -> Protos.settings(node.state().settings()));
  }

  @Override
  public void movePrimary(MovePrimaryRequest request, StreamObserver<MovePrimaryResponse> out) {
    if (!leaderOnly(out)) {
      return;
    }
    ClusterState state = node.state();
    int shard = request.getShard();
    Assignment current = state.assignments().get(shard);
    Command.MovePrimary move =
        new Command.MovePrimary(
            shard, request.getCoreappId(), current == null ? 0 : current.epoch());
    Optional<Rejection> refused = node.coordinator().checkMove(state, move);
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    commit(
        move,
        out,
        index ->
            MovePrimaryResponse.newBuilder()
                .setVersion(index)
                .setFromCoreappId(current == null ? "" : current.coreappId())
                .build());
  }

  @Override
  public void setDrained(SetDrainedRequest request, StreamObserver<CoreappStatus> out) {
    if (!leaderOnly(out)) {
      return;
    }
    String id = request.getCoreappId();
    commit(
        new Command.SetDrained(id, request.getDrained()),
        out,
        index -> coreappStatus(node.state(), id));
  }

  @Override
  public void listMasters(ListMastersRequest request, StreamObserver<ListMastersResponse> out) {
    out.onNext(ListMastersResponse.newBuilder().addAllMasters(masters(node.leaderHint())).build());
    out.onCompleted();
  }

  @Override
  public void addMaster(AddMasterRequest request, StreamObserver<ListMastersResponse> out) {
    if (!leaderOnly(out)) {
      return;
    }
    String id = request.getMasterId();
    Optional<Rejection> refused = checkNewMaster(request).or(() -> probeNewMaster(request));
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    // The directory entry first: once the new master is a member, every master can route to it.
    Proposal p =
        node.propose(
            new Command.PutMaster(
                new Master(id, request.getRaftAddress(), request.getApiAddress())));
    if (!(p instanceof Proposal.Committed)) {
      out.onError(GrpcErrors.of(p, node.config().nodeId(), node.leaderHint()));
      return;
    }
    Map<String, String> conf = node.raft().currentRaftAddresses();
    conf.put(id, request.getRaftAddress());
    changeMembership(conf, "adding " + id, out);
  }

  private Optional<Rejection> checkNewMaster(AddMasterRequest request) {
    String id = request.getMasterId();
    if (node.raft().currentPeerIds().contains(id)) {
      return Optional.of(new Rejection("master_id", "master '" + id + "' is already a member"));
    }
    for (String address : List.of(request.getRaftAddress(), request.getApiAddress())) {
      try {
        HostPort.parse("address", address);
      } catch (IllegalArgumentException e) {
        return Optional.of(new Rejection("address", "must be host:port, got '" + address + "'"));
      }
    }
    return node.state()
        .validate(new Command.PutMaster(new Master(id, request.getRaftAddress(), "")));
  }

  /**
   * Asks the new master itself, at its API address, who it is: a typo in an address would otherwise
   * leave Ratis trying to reach a peer that does not exist.
   */
  private Optional<Rejection> probeNewMaster(AddMasterRequest request) {
    try {
      MasterStatus s =
          AdminGrpc.newBlockingStub(channels.to(request.getApiAddress()))
              .withDeadlineAfter(PEER_STATUS_DEADLINE_MS * 2, TimeUnit.MILLISECONDS)
              .getLocalRaftStatus(GetLocalRaftStatusRequest.getDefaultInstance());
      if (!s.getId().equals(request.getMasterId())
          || !s.getRaftAddress().equals(request.getRaftAddress())) {
        return Optional.of(
            new Rejection(
                "master_id",
                "the master at "
                    + request.getApiAddress()
                    + " is "
                    + s.getId()
                    + " with Raft address "
                    + s.getRaftAddress()));
      }
      return Optional.empty();
    } catch (StatusRuntimeException e) {
      return Optional.of(
          new Rejection(
              "api_address",
              "no master answers at "
                  + request.getApiAddress()
                  + " ("
                  + e.getStatus().getCode()
                  + "): start it first"));
    }
  }

  @Override
  public void removeMaster(RemoveMasterRequest request, StreamObserver<ListMastersResponse> out) {
    if (!leaderOnly(out)) {
      return;
    }
    String id = request.getMasterId();
    Map<String, String> conf = node.raft().currentRaftAddresses();
    if (!conf.containsKey(id)) {
      out.onError(
          GrpcErrors.invalid(new Rejection("master_id", "master '" + id + "' is not a member")));
      return;
    }
    if (id.equals(node.config().nodeId())) {
      out.onError(
          GrpcErrors.invalid(
              new Rejection(
                  "master_id",
                  id + " is the leader; transfer leadership first (mcctl leader transfer)")));
      return;
    }
    conf.remove(id);
    changeMembership(conf, "removing " + id, out);
  }

  private void changeMembership(
      Map<String, String> conf, String what, StreamObserver<ListMastersResponse> out) {
    Optional<String> failed = node.raft().setConfiguration(conf);
    LOG.info("admin: {} (members {}): {}", what, conf.keySet(), failed.orElse("done"));
    if (failed.isPresent()) {
      out.onError(
          Status.UNAVAILABLE
              .withDescription(
                  what + " failed or is still in progress (see mcctl master list): " + failed.get())
              .asRuntimeException());
      return;
    }
    out.onNext(ListMastersResponse.newBuilder().addAllMasters(masters(node.leaderHint())).build());
    out.onCompleted();
  }

  @Override
  public void getLocalRaftStatus(
      GetLocalRaftStatusRequest request, StreamObserver<MasterStatus> out) {
    out.onNext(
        localStatus().toBuilder().setHeartbeatHandling(node.heartbeatHandling().toProto()).build());
    out.onCompleted();
  }

  private MasterStatus localStatus() {
    RaftAccess.LocalStatus s = node.raft().localStatus();
    PeerAddress self = node.config().self();
    return MasterStatus.newBuilder()
        .setId(self.id())
        .setAddress(self.apiAddress())
        .setRaftAddress(self.raftAddress())
        .setLeader(node.isLeading())
        .setRole(s.role())
        .setTerm(s.term())
        .setCommitIndex(s.commitIndex())
        .setAppliedIndex(s.appliedIndex())
        .build();
  }

  /** The members with their addresses and who leads, without asking anyone. */
  private List<MasterStatus> membersOnly(Optional<PeerAddress> leader) {
    return node.members().stream().map(p -> member(p, leader).build()).toList();
  }

  /** A member's addresses and whether it leads, as this master knows them. */
  private static MasterStatus.Builder member(PeerAddress p, Optional<PeerAddress> leader) {
    return MasterStatus.newBuilder()
        .setId(p.id())
        .setAddress(p.apiAddress())
        .setRaftAddress(p.raftAddress())
        .setLeader(leader.map(l -> l.id().equals(p.id())).orElse(false));
  }

  /** Every member's Raft status: this master's own, the others' asked in parallel. */
  private List<MasterStatus> masters(Optional<PeerAddress> leader) {
    String self = node.config().nodeId();
    List<PeerAddress> members = node.members();
    List<ListenableFuture<MasterStatus>> asked = new ArrayList<>();
    for (PeerAddress p : members) {
      asked.add(
          p.id().equals(self)
              ? Futures.immediateFuture(localStatus())
              : AdminGrpc.newFutureStub(channels.to(p))
                  .withDeadlineAfter(PEER_STATUS_DEADLINE_MS, TimeUnit.MILLISECONDS)
                  .getLocalRaftStatus(GetLocalRaftStatusRequest.getDefaultInstance()));
    }
    List<MasterStatus> out = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      PeerAddress p = members.get(i);
      MasterStatus.Builder m = member(p, leader);
      try {
        m.mergeFrom(asked.get(i).get());
      } catch (ExecutionException e) {
        m.setRole("unreachable").setError(Status.fromThrowable(e.getCause()).toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        m.setRole("unreachable").setError("interrupted");
      }
      // The peer's own answer says whether it thinks it leads; this master's view decides.
      out.add(m.setLeader(leader.map(l -> l.id().equals(p.id())).orElse(false)).build());
    }
    return out;
  }

  private MirrorStatus mirrorStatus(ClusterState state) {
    Optional<MirrorPublisher> mirror = node.mirror();
    if (mirror.isEmpty()) {
      return MirrorStatus.getDefaultInstance();
    }
    long published = mirror.get().publishedVersion();
    long lag = published < 0 ? state.version() : Math.max(0, state.version() - published);
    long behindMs =
        published < 0
            ? -1
            : lag == 0 ? 0 : (System.nanoTime() - mirror.get().publishedAtNanos()) / 1_000_000;
    return MirrorStatus.newBuilder()
        .setEnabled(true)
        .setMirroredIndex(Math.max(0, published))
        .setLagEntries(lag)
        .setBehindForMs(behindMs)
        .build();
  }

  private CoreappStatus coreappStatus(ClusterState state, String id) {
    boolean leading = node.isLeading();
    Coreapp c = state.coreapps().get(id);
    CoreappStatus.Builder cs =
        CoreappStatus.newBuilder().setId(c.id()).setAddress(c.address()).setShard(-1);
    List<Revocation> releasing = state.revocationsOf(id);
    Optional<Assignment> primary = state.assignmentOf(id);
    if (primary.isPresent()) {
      cs.setState("primary").setShard(primary.get().shard()).setEpoch(primary.get().epoch());
    } else if (!releasing.isEmpty()) {
      cs.setState("releasing").setEpoch(releasing.get(0).epoch());
    } else {
      cs.setState(c.drained() ? "drained" : "secondary");
    }
    OptionalLong age = leading ? node.coordinator().heartbeatAgeNanos(id) : OptionalLong.empty();
    return cs.setLastHeartbeatAgeMs(age.isPresent() ? age.getAsLong() / 1_000_000 : -1)
        .setHealthy(leading && node.coordinator().isHealthy(state, id))
        .setLeaseRemainingMs(leading ? leaseRemainingMs(state, id, age) : -1)
        .build();
  }

  /** Upper bound of what is left of the coreapp's lease, from the leader's last answer to it. */
  private static long leaseRemainingMs(ClusterState state, String coreappId, OptionalLong age) {
    boolean mayHold =
        state.assignmentOf(coreappId).isPresent() || !state.revocationsOf(coreappId).isEmpty();
    if (!mayHold || age.isEmpty()) {
      return 0;
    }
    long lease = LeaseRules.leaseDuration(state.settings().unhealthyInterval()).toMillis();
    return Math.max(0, lease - age.getAsLong() / 1_000_000);
  }
}
