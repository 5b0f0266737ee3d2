package io.multiconnect.master.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.auth.LoginThrottle;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.tls.PemIdentity;
import io.multiconnect.master.auth.Passwords;
import io.multiconnect.master.backup.BackupCipher;
import io.multiconnect.master.backup.Backups;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.core.Settings;
import io.multiconnect.master.core.User;
import io.multiconnect.master.port.Leaders;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.port.Membership;
import io.multiconnect.master.port.Proposer;
import io.multiconnect.master.port.RaftControl;
import io.multiconnect.master.port.StateView;
import io.multiconnect.master.raft.Proposal;
import io.multiconnect.proto.v1.AddMasterRequest;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.BackupContents;
import io.multiconnect.proto.v1.BackupRequest;
import io.multiconnect.proto.v1.BackupResponse;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.CreateUserRequest;
import io.multiconnect.proto.v1.DeleteUserRequest;
import io.multiconnect.proto.v1.ExternalCertificate;
import io.multiconnect.proto.v1.GetExternalCertificateRequest;
import io.multiconnect.proto.v1.GetLocalRaftStatusRequest;
import io.multiconnect.proto.v1.GetSettingsRequest;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.GetUserRequest;
import io.multiconnect.proto.v1.ListMastersRequest;
import io.multiconnect.proto.v1.ListMastersResponse;
import io.multiconnect.proto.v1.LoginRequest;
import io.multiconnect.proto.v1.LoginResponse;
import io.multiconnect.proto.v1.LogoutRequest;
import io.multiconnect.proto.v1.LogoutResponse;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.MovePrimaryRequest;
import io.multiconnect.proto.v1.MovePrimaryResponse;
import io.multiconnect.proto.v1.RemoveMasterRequest;
import io.multiconnect.proto.v1.RestoreRequest;
import io.multiconnect.proto.v1.RestoreResponse;
import io.multiconnect.proto.v1.RotateTokenKeyRequest;
import io.multiconnect.proto.v1.RotateTokenKeyResponse;
import io.multiconnect.proto.v1.SetClusterVersionRequest;
import io.multiconnect.proto.v1.SetClusterVersionResponse;
import io.multiconnect.proto.v1.SetDrainedRequest;
import io.multiconnect.proto.v1.SetExternalCertificateRequest;
import io.multiconnect.proto.v1.SetExternalCertificateResponse;
import io.multiconnect.proto.v1.SetShardCountRequest;
import io.multiconnect.proto.v1.SetShardCountResponse;
import io.multiconnect.proto.v1.TakeSnapshotRequest;
import io.multiconnect.proto.v1.TakeSnapshotResponse;
import io.multiconnect.proto.v1.TransferLeadershipRequest;
import io.multiconnect.proto.v1.TransferLeadershipResponse;
import io.multiconnect.proto.v1.UpdateApplicationSettingsRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import io.multiconnect.proto.v1.UpdateUserRequest;
import io.multiconnect.proto.v1.UserInfo;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator API. Reads are answered by any master from its applied state ({@link StatusView});
 * writes only by the leader (a follower answers with where the leader is, see {@link GrpcErrors});
 * membership changes by {@link MembershipHandler}.
 */
public final class AdminService extends AdminGrpc.AdminImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AdminService.class);

  /** How long a leadership transfer, snapshot or membership change may take. */
  static final long ADMIN_OPERATION_TIMEOUT_MS = 5_000;

  private final Leaders leaders;
  private final Proposer proposer;
  private final StateView state;
  private final RaftControl raft;
  private final NodeClock clock;
  private final Membership membership;
  private final StatusView status;
  private final MembershipHandler membershipChanges;
  private final AdminWrites writes;
  private final UserHandler users;

  /** Failed logins per user, shared with {@link AdminAuth}'s Basic credentials. */
  private final LoginThrottle logins;

  public AdminService(
      Leaders leaders,
      Proposer proposer,
      StateView state,
      RaftControl raft,
      Membership membership,
      StatusView status,
      NodeClock clock,
      LeaderChannels channels,
      LoginThrottle logins) {
    this.leaders = leaders;
    this.logins = logins;
    this.proposer = proposer;
    this.state = state;
    this.raft = raft;
    this.membership = membership;
    this.clock = clock;
    this.status = status;
    this.membershipChanges =
        new MembershipHandler(leaders, proposer, state, membership, channels, status);
    this.writes = new AdminWrites(leaders, proposer);
    this.users = new UserHandler(writes, state, clock);
  }

  /** This master's leadership; empty after answering with where the leader is. */
  private Optional<Leadership> leaderOnly(StreamObserver<?> out) {
    return GrpcErrors.leaderOnly(leaders, out);
  }

  @Override
  public void getStatus(GetStatusRequest request, StreamObserver<ClusterStatus> out) {
    out.onNext(status.cluster(request.getLocalOnly()));
    out.onCompleted();
  }

  @Override
  public void setShardCount(
      SetShardCountRequest request, StreamObserver<SetShardCountResponse> out) {
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    Optional<Rejection> refused =
        leading.get().coordinator().checkShardCount(state.state(), request.getShardCount());
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    writes.commit(
        leading.get(),
        new Command.SetShardCount(request.getShardCount()),
        out,
        index ->
            SetShardCountResponse.newBuilder()
                .setVersion(index)
                .setShardCount(request.getShardCount())
                .build());
  }

  @Override
  public void setClusterVersion(
      SetClusterVersionRequest request, StreamObserver<SetClusterVersionResponse> out) {
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    Command.SetClusterVersion raise = new Command.SetClusterVersion(request.getVersion());
    Optional<Rejection> refused = state.state().validate(raise);
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    Optional<String> blocked =
        raiseBlockedBy(
            membership.currentPeerIds(), status.masters(leaders.hint()), request.getVersion());
    if (blocked.isPresent()) {
      out.onError(Status.FAILED_PRECONDITION.withDescription(blocked.get()).asRuntimeException());
      return;
    }
    writes.commit(
        leading.get(),
        raise,
        out,
        index ->
            SetClusterVersionResponse.newBuilder()
                .setClusterVersion(request.getVersion())
                .setIndex(index)
                .build());
  }

  /**
   * Why the cluster version may not be raised to {@code version} yet: a master of the group ({@code
   * members}) whose address is not known, that did not answer ({@code answers}), or that runs a
   * release that does not support it. Empty when every member supports it.
   */
  static Optional<String> raiseBlockedBy(
      List<String> members, List<MasterStatus> answers, int version) {
    Set<String> asked = answers.stream().map(MasterStatus::getId).collect(Collectors.toSet());
    for (String id : members) {
      if (!asked.contains(id)) {
        return Optional.of("master " + id + " has no known address: it cannot report its release");
      }
    }
    for (MasterStatus m : answers) {
      if (!m.getError().isEmpty()) {
        return Optional.of(
            "master "
                + m.getId()
                + " did not answer ("
                + m.getError()
                + "): every master must report its release before the cluster version is raised");
      }
      if (m.getSupportedClusterVersion() < version) {
        return Optional.of(
            "master "
                + m.getId()
                + " runs a release that supports cluster version "
                + m.getSupportedClusterVersion()
                + " at most: upgrade it before raising the cluster version to "
                + version);
      }
    }
    return Optional.empty();
  }

  @Override
  public void login(LoginRequest request, StreamObserver<LoginResponse> out) {
    // On the leader only: it has applied every password change it acknowledged, so a login right
    // after a change sees it (a follower may not have applied it yet).
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    ClusterState cluster = state.state();
    User user = cluster.users().get(request.getUsername());
    String key = AdminAuth.throttleKey(request.getUsername());
    // Only users that exist are counted: made-up names cannot crowd real ones out of the table.
    Optional<Duration> wait = user == null ? Optional.empty() : logins.attempt(key);
    if (wait.isPresent()) {
      StatusRuntimeException e = AdminAuth.throttled(request.getUsername(), wait.get());
      AdminAuth.AUDIT.warn(
          "refused login of user {} via {}: {}",
          AdminAuth.printable(request.getUsername()),
          AdminAuth.node(),
          e.getStatus().getDescription());
      out.onError(e);
      return;
    }
    if (user == null || !Passwords.matches(request.getPassword(), user.passwordHash())) {
      AdminAuth.AUDIT.warn(
          "refused login of user {} via {}: {}",
          AdminAuth.printable(request.getUsername()),
          AdminAuth.node(),
          AdminAuth.WRONG_PASSWORD);
      out.onError(
          Status.UNAUTHENTICATED
              .withDescription("wrong username or password")
              .asRuntimeException());
      return;
    }
    logins.succeeded(key);
    AdminAuth.AUDIT.info(
        "login of user {} via {}", AdminAuth.printable(request.getUsername()), AdminAuth.node());
    String newPassword = request.getNewPassword();
    if (user.mustChangePassword() && newPassword.isEmpty()) {
      out.onError(
          Status.FAILED_PRECONDITION
              .withDescription("new_password: the password must be changed at first login")
              .asRuntimeException());
      return;
    }
    if (!newPassword.isEmpty()) {
      Optional<Rejection> weak = Passwords.checkPolicy("new_password", newPassword);
      if (weak.isPresent()) {
        out.onError(GrpcErrors.invalid(weak.get()));
        return;
      }
      Proposal p =
          proposer.propose(
              new Command.PutUser(user.username(), Passwords.hash(newPassword), false),
              leading.get().term());
      if (!(p instanceof Proposal.Committed)) {
        out.onError(GrpcErrors.of(p, leaders.self().id(), leaders.hint()));
        return;
      }
    }
    // The credentials the token is issued under: the new password's entry after a change.
    User current = state.state().users().get(user.username());
    if (current == null) {
      out.onError(
          Status.UNAUTHENTICATED
              .withDescription("the user was deleted during the login")
              .asRuntimeException());
      return;
    }
    // The newest key: a rotation may have applied while the password was being checked.
    String signingKey = state.state().tokenKey();
    if (!Tokens.isSigningKey(signingKey)) {
      out.onError(
          Status.UNAVAILABLE
              .withDescription("the cluster is still initialising its token key")
              .asRuntimeException());
      return;
    }
    Instant issued = clock.now();
    out.onNext(
        LoginResponse.newBuilder()
            .setToken(
                Tokens.issue(
                    signingKey,
                    current.username(),
                    current.credentialsIndex(),
                    issued,
                    Tokens.DEFAULT_LIFETIME))
            .setExpiresAtUnixSeconds(issued.plus(Tokens.DEFAULT_LIFETIME).getEpochSecond())
            .build());
    out.onCompleted();
  }

  @Override
  public void transferLeadership(
      TransferLeadershipRequest request, StreamObserver<TransferLeadershipResponse> out) {
    String target = request.getMasterId();
    if (!membership.currentPeerIds().contains(target)) {
      out.onError(
          GrpcErrors.invalid(new Rejection("master_id", "unknown master '" + target + "'")));
      return;
    }
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    Optional<String> failed = raft.transferLeadership(target, ADMIN_OPERATION_TIMEOUT_MS);
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
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    try {
      long index = raft.takeSnapshot(ADMIN_OPERATION_TIMEOUT_MS);
      out.onNext(
          TakeSnapshotResponse.newBuilder()
              .setMasterId(leaders.self().id())
              .setIndex(index)
              .build());
      out.onCompleted();
    } catch (java.io.IOException e) {
      out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void rotateTokenKey(
      RotateTokenKeyRequest request, StreamObserver<RotateTokenKeyResponse> out) {
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    String key = Tokens.newSigningKey();
    writes.commit(
        leading.get(),
        new Command.RotateTokenKey(key, clock.now(), request.getDropPrevious()),
        out,
        index ->
            RotateTokenKeyResponse.newBuilder()
                .setKeyId(Tokens.keyId(key).orElseThrow())
                .setVersion(index)
                .addAllRetiredKeyIds(
                    state.state().retiredTokenKeys().stream()
                        .map(r -> Tokens.keyIdOfPublic(r.publicJwk()))
                        .toList())
                .build());
  }

  @Override
  public void getSettings(GetSettingsRequest request, StreamObserver<ClusterSettings> out) {
    // The leader answers: it has applied every change it acknowledged, so a client reads its own
    // writes (a follower may not have applied one yet).
    if (leaderOnly(out).isEmpty()) {
      return;
    }
    out.onNext(Protos.settings(state.state()));
    out.onCompleted();
  }

  @Override
  public void updateApplicationSettings(
      UpdateApplicationSettingsRequest request, StreamObserver<ClusterSettings> out) {
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    writes.commit(
        leading.get(),
        new Command.SetApplicationSettings(request.getChangesMap()),
        out,
        index -> Protos.settings(state.state()));
  }

  @Override
  public void backup(BackupRequest request, StreamObserver<BackupResponse> out) {
    if (request.getPassword().isEmpty()) {
      out.onError(GrpcErrors.invalid(new Rejection("password", "must not be empty")));
      return;
    }
    if (leaderOnly(out).isEmpty()) {
      return;
    }
    out.onNext(
        BackupResponse.newBuilder()
            .setData(Backups.take(state.state(), clock.now(), request.getPassword()))
            .build());
    out.onCompleted();
  }

  @Override
  public void restore(RestoreRequest request, StreamObserver<RestoreResponse> out) {
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    Optional<BackupContents> contents;
    try {
      contents = Backups.open(request.getData(), request.getPassword());
    } catch (BackupCipher.Unreadable e) {
      out.onError(
          GrpcErrors.invalid(
              new Rejection(e.wrongPassword() ? "password" : "data", e.getMessage())));
      return;
    }
    if (contents.isEmpty()) {
      out.onError(
          GrpcErrors.invalid(new Rejection("data", "decrypts, but holds no backup's contents")));
      return;
    }
    BackupContents c = contents.get();
    RestoreResponse held =
        RestoreResponse.newBuilder()
            .setHeartbeatIntervalMs(c.getHeartbeatIntervalMs())
            .setUnhealthyIntervalMs(c.getUnhealthyIntervalMs())
            .setShardCount(c.getShardCount())
            .setUsers(c.getUsersCount())
            .setTakenAt(c.getTakenAt())
            .build();
    if (request.getCheckOnly()) {
      out.onNext(held);
      out.onCompleted();
      return;
    }
    writes.commit(leading.get(), Backups.restore(c), out, index -> held);
  }

  @Override
  public void updateSettings(UpdateSettingsRequest request, StreamObserver<ClusterSettings> out) {
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    Settings current = state.state().settings();
    Settings wanted =
        new Settings(
            request.getHeartbeatIntervalMs() == 0
                ? current.heartbeatInterval()
                : Duration.ofMillis(request.getHeartbeatIntervalMs()),
            request.getUnhealthyIntervalMs() == 0
                ? current.unhealthyInterval()
                : Duration.ofMillis(request.getUnhealthyIntervalMs()));
    writes.commit(
        leading.get(),
        new Command.UpdateSettings(wanted.heartbeatInterval(), wanted.unhealthyInterval()),
        out,
        index -> Protos.settings(state.state()));
  }

  @Override
  public void movePrimary(MovePrimaryRequest request, StreamObserver<MovePrimaryResponse> out) {
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    ClusterState cluster = state.state();
    int shard = request.getShard();
    Assignment current = cluster.assignments().get(shard);
    Command.MovePrimary move =
        new Command.MovePrimary(
            shard, request.getCoreappId(), current == null ? 0 : current.epoch());
    Optional<Rejection> refused = leading.get().coordinator().checkMove(cluster, move);
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    writes.commit(
        leading.get(),
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
    Optional<Leadership> leading = leaderOnly(out);
    if (leading.isEmpty()) {
      return;
    }
    String id = request.getCoreappId();
    writes.commit(
        leading.get(),
        new Command.SetDrained(id, request.getDrained()),
        out,
        index -> status.coreapp(state.state(), id));
  }

  @Override
  public void listMasters(ListMastersRequest request, StreamObserver<ListMastersResponse> out) {
    out.onNext(
        ListMastersResponse.newBuilder().addAllMasters(status.masters(leaders.hint())).build());
    out.onCompleted();
  }

  @Override
  public void addMaster(AddMasterRequest request, StreamObserver<ListMastersResponse> out) {
    membershipChanges.add(request, out);
  }

  @Override
  public void removeMaster(RemoveMasterRequest request, StreamObserver<ListMastersResponse> out) {
    membershipChanges.remove(request, out);
  }

  @Override
  public void createUser(CreateUserRequest request, StreamObserver<UserInfo> out) {
    users.create(request, out);
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<UserInfo> out) {
    users.get(request, out);
  }

  @Override
  public void updateUser(UpdateUserRequest request, StreamObserver<UserInfo> out) {
    users.update(request, out);
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<UserInfo> out) {
    users.delete(request, out);
  }

  @Override
  public void logout(LogoutRequest request, StreamObserver<LogoutResponse> out) {
    users.logout(request, out);
  }

  @Override
  public void setExternalCertificate(
      SetExternalCertificateRequest request, StreamObserver<SetExternalCertificateResponse> out) {
    Optional<Rejection> refused = checkCertificate(request.getPem());
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    writes.commit(
        new Command.SetExternalCertificate(request.getPem()),
        out,
        index -> SetExternalCertificateResponse.newBuilder().setVersion(index).build());
  }

  /**
   * Why {@code pem} cannot serve HTTPS, or empty: it must hold the private key, the certificate it
   * belongs to (valid now) and at least one intermediate CA certificate that signed it, as the
   * On-Premises API asks. Checked here, before it is proposed, so no webapp is ever given one it
   * cannot use (the real API takes anything and the webapps fail at their next restart).
   */
  static Optional<Rejection> checkCertificate(String pem) {
    try {
      PemIdentity identity = PemIdentity.parseBundle(pem, "the upload");
      if (identity.chain().length < 2) {
        return Optional.of(
            new Rejection("certificate", "at least one intermediate CA certificate is required"));
      }
      identity.chain()[0].verify(identity.chain()[1].getPublicKey());
      return Optional.empty();
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      return Optional.of(new Rejection("certificate", String.valueOf(e.getMessage())));
    }
  }

  @Override
  public void getExternalCertificate(
      GetExternalCertificateRequest request, StreamObserver<ExternalCertificate> out) {
    out.onNext(
        ExternalCertificate.newBuilder().setPem(state.state().externalCertificate()).build());
    out.onCompleted();
  }

  @Override
  public void getLocalRaftStatus(
      GetLocalRaftStatusRequest request, StreamObserver<MasterStatus> out) {
    out.onNext(status.localWithHeartbeats());
    out.onCompleted();
  }
}
