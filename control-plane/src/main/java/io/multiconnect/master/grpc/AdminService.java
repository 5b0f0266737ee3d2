package io.multiconnect.master.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.multiconnect.master.MasterNode;
import io.multiconnect.master.auth.Passwords;
import io.multiconnect.master.auth.Tokens;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.core.Revocation;
import io.multiconnect.master.core.Settings;
import io.multiconnect.master.core.User;
import io.multiconnect.master.raft.Proposal;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.GetSettingsRequest;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.GetTokenKeyRequest;
import io.multiconnect.proto.v1.LoginRequest;
import io.multiconnect.proto.v1.LoginResponse;
import io.multiconnect.proto.v1.MasterStatus;
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
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The operator API. Reads are answered by any master from its applied state; writes only by the
 * leader (a follower answers with where the leader is, see {@link GrpcErrors}).
 */
public final class AdminService extends AdminGrpc.AdminImplBase {
  private final MasterNode node;

  public AdminService(MasterNode node) {
    this.node = node;
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
    for (PeerAddress p : node.config().peers()) {
      b.addMasters(
          MasterStatus.newBuilder()
              .setId(p.id())
              .setAddress(p.apiAddress())
              .setLeader(leader.map(l -> l.id().equals(p.id())).orElse(false)));
    }
    boolean leading = node.isLeading();
    for (var c : state.coreapps().values()) {
      CoreappStatus.Builder cs =
          CoreappStatus.newBuilder().setId(c.id()).setAddress(c.address()).setShard(-1);
      state
          .assignmentOf(c.id())
          .ifPresentOrElse(
              a -> cs.setState("primary").setShard(a.shard()).setEpoch(a.epoch()),
              () ->
                  cs.setState(
                      !state.revocationsOf(c.id()).isEmpty()
                          ? "releasing"
                          : c.drained() ? "drained" : "secondary"));
      state.revocationsOf(c.id()).stream()
          .map(Revocation::epoch)
          .findFirst()
          .ifPresent(cs::setEpoch);
      OptionalLong age =
          leading ? node.coordinator().heartbeatAgeNanos(c.id()) : OptionalLong.empty();
      cs.setLastHeartbeatAgeMs(age.isPresent() ? age.getAsLong() / 1_000_000 : -1);
      cs.setHealthy(leading && node.coordinator().isHealthy(state, c.id()));
      b.addCoreapps(cs);
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void setShardCount(
      SetShardCountRequest request, StreamObserver<SetShardCountResponse> out) {
    if (!node.isLeading()) {
      out.onError(GrpcErrors.notLeader(node.config().nodeId(), node.leaderHint()));
      return;
    }
    Optional<Rejection> refused =
        node.coordinator().checkShardCount(node.state(), request.getShardCount());
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    Proposal p = node.propose(new Command.SetShardCount(request.getShardCount()));
    if (p instanceof Proposal.Committed c) {
      out.onNext(
          SetShardCountResponse.newBuilder()
              .setVersion(c.index())
              .setShardCount(request.getShardCount())
              .build());
      out.onCompleted();
    } else {
      out.onError(GrpcErrors.of(p, node.config().nodeId(), node.leaderHint()));
    }
  }

  @Override
  public void login(LoginRequest request, StreamObserver<LoginResponse> out) {
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
    Instant expires = Instant.now().plus(Tokens.DEFAULT_LIFETIME);
    out.onNext(
        LoginResponse.newBuilder()
            .setToken(Tokens.issue(state.tokenKey(), user.username(), expires))
            .setExpiresAtUnixSeconds(expires.getEpochSecond())
            .build());
    out.onCompleted();
  }

  /** How long a leadership transfer or a snapshot may take. */
  static final long ADMIN_OPERATION_TIMEOUT_MS = 5_000;

  @Override
  public void transferLeadership(
      TransferLeadershipRequest request, StreamObserver<TransferLeadershipResponse> out) {
    String target = request.getMasterId();
    if (node.config().peers().stream().noneMatch(p -> p.id().equals(target))) {
      out.onError(
          GrpcErrors.invalid(new Rejection("master_id", "unknown master '" + target + "'")));
      return;
    }
    if (!node.isLeading()) {
      out.onError(GrpcErrors.notLeader(node.config().nodeId(), node.leaderHint()));
      return;
    }
    Optional<String> failed = node.raft().transferLeadership(target, ADMIN_OPERATION_TIMEOUT_MS);
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
    if (!node.isLeading()) {
      out.onError(GrpcErrors.notLeader(node.config().nodeId(), node.leaderHint()));
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
    if (!node.isLeading()) {
      out.onError(GrpcErrors.notLeader(node.config().nodeId(), node.leaderHint()));
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
    Proposal p =
        node.propose(
            new Command.UpdateSettings(wanted.heartbeatInterval(), wanted.unhealthyInterval()));
    if (p instanceof Proposal.Committed) {
      out.onNext(Protos.settings(node.state().settings()));
      out.onCompleted();
    } else {
      out.onError(GrpcErrors.of(p, node.config().nodeId(), node.leaderHint()));
    }
  }
}
