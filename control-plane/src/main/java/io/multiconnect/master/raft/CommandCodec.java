package io.multiconnect.master.raft;

import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.Revocation;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.ClusterVersion;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Coreapp;
import io.multiconnect.master.core.Master;
import io.multiconnect.master.core.Settings;
import io.multiconnect.master.core.User;
import io.multiconnect.proto.v1.raft.AssignPrimaryCmd;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import io.multiconnect.proto.v1.raft.ConfirmReleaseCmd;
import io.multiconnect.proto.v1.raft.DeleteUserCmd;
import io.multiconnect.proto.v1.raft.DeregisterCoreappCmd;
import io.multiconnect.proto.v1.raft.ExpireRevocationCmd;
import io.multiconnect.proto.v1.raft.InitAuthCmd;
import io.multiconnect.proto.v1.raft.MovePrimaryCmd;
import io.multiconnect.proto.v1.raft.PutMasterCmd;
import io.multiconnect.proto.v1.raft.PutUserCmd;
import io.multiconnect.proto.v1.raft.RegisterCoreappCmd;
import io.multiconnect.proto.v1.raft.RemoveMasterCmd;
import io.multiconnect.proto.v1.raft.RemovePrimaryCmd;
import io.multiconnect.proto.v1.raft.RestoreBackupCmd;
import io.multiconnect.proto.v1.raft.RetiredTokenKey;
import io.multiconnect.proto.v1.raft.RevokeTokenCmd;
import io.multiconnect.proto.v1.raft.RevokedToken;
import io.multiconnect.proto.v1.raft.RotateTokenKeyCmd;
import io.multiconnect.proto.v1.raft.SetApplicationSettingsCmd;
import io.multiconnect.proto.v1.raft.SetClusterVersionCmd;
import io.multiconnect.proto.v1.raft.SetDrainedCmd;
import io.multiconnect.proto.v1.raft.SetExternalCertificateCmd;
import io.multiconnect.proto.v1.raft.SetShardCountCmd;
import io.multiconnect.proto.v1.raft.SetTokenKeyCmd;
import io.multiconnect.proto.v1.raft.SettleSettingsCmd;
import io.multiconnect.proto.v1.raft.SnapshotAssignment;
import io.multiconnect.proto.v1.raft.SnapshotCoreapp;
import io.multiconnect.proto.v1.raft.SnapshotMove;
import io.multiconnect.proto.v1.raft.SnapshotRevocation;
import io.multiconnect.proto.v1.raft.StateSnapshot;
import io.multiconnect.proto.v1.raft.UpdateSettingsCmd;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** Converts between the core's commands and state and their protobuf form in the Raft log. */
public final class CommandCodec {

  private CommandCodec() {}

  public static CommandEnvelope encode(Command command) {
    CommandEnvelope.Builder b = CommandEnvelope.newBuilder();
    if (command instanceof Command.RegisterCoreapp c) {
      b.setRegisterCoreapp(
          RegisterCoreappCmd.newBuilder()
              .setCoreappId(c.coreappId())
              .setIncarnation(c.incarnation())
              .setAddress(c.address())
              .setActingMarginMs(c.actingMargin().toMillis())
              .setZone(c.zone()));
    } else if (command instanceof Command.SetShardCount c) {
      b.setSetShardCount(SetShardCountCmd.newBuilder().setShardCount(c.shardCount()));
    } else if (command instanceof Command.AssignPrimary c) {
      b.setAssignPrimary(assignProto(c));
    } else if (command instanceof Command.RemovePrimary c) {
      b.setRemovePrimary(
          RemovePrimaryCmd.newBuilder().setShard(c.shard()).setExpectedEpoch(c.expectedEpoch()));
    } else if (command instanceof Command.ConfirmRelease c) {
      b.setConfirmRelease(
          ConfirmReleaseCmd.newBuilder()
              .setCoreappId(c.coreappId())
              .setIncarnation(c.incarnation())
              .setEpoch(c.epoch())
              .setLeaving(c.leaving())
              .addAllThenAssign(c.thenAssign().stream().map(CommandCodec::assignProto).toList()));
    } else if (command instanceof Command.DeregisterCoreapp c) {
      b.setDeregisterCoreapp(
          DeregisterCoreappCmd.newBuilder()
              .setCoreappId(c.coreappId())
              .setIncarnation(c.incarnation()));
    } else if (command instanceof Command.ExpireRevocation c) {
      b.setExpireRevocation(
          ExpireRevocationCmd.newBuilder().setCoreappId(c.coreappId()).setEpoch(c.epoch()));
    } else if (command instanceof Command.UpdateSettings c) {
      b.setUpdateSettings(
          UpdateSettingsCmd.newBuilder()
              .setHeartbeatIntervalMs(c.heartbeatInterval().toMillis())
              .setUnhealthyIntervalMs(c.unhealthyInterval().toMillis()));
    } else if (command instanceof Command.SettleSettings c) {
      b.setSettleSettings(SettleSettingsCmd.newBuilder().setSettingsVersion(c.settingsVersion()));
    } else if (command instanceof Command.PutUser c) {
      b.setPutUser(putUser(c));
    } else if (command instanceof Command.RestoreBackup c) {
      b.setRestoreBackup(
          RestoreBackupCmd.newBuilder()
              .putAllApplicationSettings(c.application())
              .addAllUsers(c.users().stream().map(u -> putUser(u).build()).toList()));
    } else if (command instanceof Command.SetExternalCertificate c) {
      b.setSetExternalCertificate(SetExternalCertificateCmd.newBuilder().setPem(c.pem()));
    } else if (command instanceof Command.SetApplicationSettings c) {
      b.setSetApplicationSettings(
          SetApplicationSettingsCmd.newBuilder().putAllChanges(c.changes()));
    } else if (command instanceof Command.DeleteUser c) {
      b.setDeleteUser(DeleteUserCmd.newBuilder().setUsername(c.username()));
    } else if (command instanceof Command.RevokeToken c) {
      b.setRevokeToken(
          RevokeTokenCmd.newBuilder()
              .setUsername(c.username())
              .setTokenId(c.tokenId())
              .setExpiresAtUnixMs(c.expiresAt().toEpochMilli())
              .setAtUnixMs(c.at().toEpochMilli()));
    } else if (command instanceof Command.SetTokenKey c) {
      b.setSetTokenKey(SetTokenKeyCmd.newBuilder().setTokenKey(c.tokenKey()));
    } else if (command instanceof Command.RotateTokenKey c) {
      b.setRotateTokenKey(
          RotateTokenKeyCmd.newBuilder()
              .setTokenKey(c.tokenKey())
              .setAtUnixMs(c.at().toEpochMilli())
              .setDropPrevious(c.dropPrevious()));
    } else if (command instanceof Command.InitAuth c) {
      b.setInitAuth(
          InitAuthCmd.newBuilder()
              .setTokenKey(c.tokenKey())
              .setAdminPasswordHash(c.adminPasswordHash()));
    } else if (command instanceof Command.MovePrimary c) {
      b.setMovePrimary(
          MovePrimaryCmd.newBuilder()
              .setShard(c.shard())
              .setCoreappId(c.coreappId())
              .setExpectedEpoch(c.expectedEpoch()));
    } else if (command instanceof Command.SetDrained c) {
      b.setSetDrained(
          SetDrainedCmd.newBuilder().setCoreappId(c.coreappId()).setDrained(c.drained()));
    } else if (command instanceof Command.PutMaster c) {
      b.setPutMaster(masterProto(c.master()));
    } else if (command instanceof Command.RemoveMaster c) {
      b.setRemoveMaster(RemoveMasterCmd.newBuilder().setId(c.masterId()));
    } else if (command instanceof Command.SetClusterVersion c) {
      b.setSetClusterVersion(SetClusterVersionCmd.newBuilder().setVersion(c.version()));
    } else {
      throw new IllegalArgumentException("unknown command " + command);
    }
    int needed = ClusterVersion.requiredBy(command);
    if (needed > ClusterVersion.INITIAL) {
      // Left out at the initial version: such entries stay byte for byte what they were.
      b.setRequiredVersion(needed);
    }
    return b.build();
  }

  /** The cluster version {@code e} needs ({@link ClusterVersion}). */
  public static int requiredVersion(CommandEnvelope e) {
    int v = e.getRequiredVersion(); // a uint32: 2^31 and above read as negative
    return v < 0 ? Integer.MAX_VALUE : Math.max(ClusterVersion.INITIAL, v);
  }

  private static AssignPrimaryCmd assignProto(Command.AssignPrimary c) {
    return AssignPrimaryCmd.newBuilder()
        .setShard(c.shard())
        .setCoreappId(c.coreappId())
        .setExpectedEpoch(c.expectedEpoch())
        .build();
  }

  private static Command.AssignPrimary assign(AssignPrimaryCmd a) {
    return new Command.AssignPrimary(a.getShard(), a.getCoreappId(), a.getExpectedEpoch());
  }

  /** Decodes a log entry; throws {@link IllegalArgumentException} for an empty envelope. */
  public static Command decode(CommandEnvelope e) {
    return switch (e.getCommandCase()) {
      case REGISTER_COREAPP ->
          new Command.RegisterCoreapp(
              e.getRegisterCoreapp().getCoreappId(),
              e.getRegisterCoreapp().getIncarnation(),
              e.getRegisterCoreapp().getAddress(),
              Duration.ofMillis(e.getRegisterCoreapp().getActingMarginMs()),
              e.getRegisterCoreapp().getZone());
      case DEREGISTER_COREAPP ->
          new Command.DeregisterCoreapp(
              e.getDeregisterCoreapp().getCoreappId(), e.getDeregisterCoreapp().getIncarnation());
      case SET_SHARD_COUNT -> new Command.SetShardCount(e.getSetShardCount().getShardCount());
      case ASSIGN_PRIMARY -> assign(e.getAssignPrimary());
      case REMOVE_PRIMARY ->
          new Command.RemovePrimary(
              e.getRemovePrimary().getShard(), e.getRemovePrimary().getExpectedEpoch());
      case CONFIRM_RELEASE ->
          new Command.ConfirmRelease(
              e.getConfirmRelease().getCoreappId(),
              e.getConfirmRelease().getIncarnation(),
              e.getConfirmRelease().getEpoch(),
              e.getConfirmRelease().getLeaving(),
              e.getConfirmRelease().getThenAssignList().stream()
                  .map(CommandCodec::assign)
                  .toList());
      case EXPIRE_REVOCATION ->
          new Command.ExpireRevocation(
              e.getExpireRevocation().getCoreappId(), e.getExpireRevocation().getEpoch());
      case UPDATE_SETTINGS ->
          new Command.UpdateSettings(
              Duration.ofMillis(e.getUpdateSettings().getHeartbeatIntervalMs()),
              Duration.ofMillis(e.getUpdateSettings().getUnhealthyIntervalMs()));
      case SETTLE_SETTINGS ->
          new Command.SettleSettings(e.getSettleSettings().getSettingsVersion());
      case PUT_USER -> putUser(e.getPutUser());
      case RESTORE_BACKUP ->
          new Command.RestoreBackup(
              e.getRestoreBackup().getApplicationSettingsMap(),
              e.getRestoreBackup().getUsersList().stream().map(CommandCodec::putUser).toList());
      case DELETE_USER -> new Command.DeleteUser(e.getDeleteUser().getUsername());
      case SET_EXTERNAL_CERTIFICATE ->
          new Command.SetExternalCertificate(e.getSetExternalCertificate().getPem());
      case SET_APPLICATION_SETTINGS ->
          new Command.SetApplicationSettings(e.getSetApplicationSettings().getChangesMap());
      case REVOKE_TOKEN ->
          new Command.RevokeToken(
              e.getRevokeToken().getUsername(),
              e.getRevokeToken().getTokenId(),
              Instant.ofEpochMilli(e.getRevokeToken().getExpiresAtUnixMs()),
              Instant.ofEpochMilli(e.getRevokeToken().getAtUnixMs()));
      case SET_TOKEN_KEY -> new Command.SetTokenKey(e.getSetTokenKey().getTokenKey());
      case ROTATE_TOKEN_KEY ->
          new Command.RotateTokenKey(
              e.getRotateTokenKey().getTokenKey(),
              Instant.ofEpochMilli(e.getRotateTokenKey().getAtUnixMs()),
              e.getRotateTokenKey().getDropPrevious());
      case INIT_AUTH ->
          new Command.InitAuth(
              e.getInitAuth().getTokenKey(), e.getInitAuth().getAdminPasswordHash());
      case MOVE_PRIMARY ->
          new Command.MovePrimary(
              e.getMovePrimary().getShard(),
              e.getMovePrimary().getCoreappId(),
              e.getMovePrimary().getExpectedEpoch());
      case SET_DRAINED ->
          new Command.SetDrained(e.getSetDrained().getCoreappId(), e.getSetDrained().getDrained());
      case PUT_MASTER -> new Command.PutMaster(master(e.getPutMaster()));
      case REMOVE_MASTER -> new Command.RemoveMaster(e.getRemoveMaster().getId());
      case SET_CLUSTER_VERSION ->
          new Command.SetClusterVersion(e.getSetClusterVersion().getVersion());
      case COMMAND_NOT_SET -> throw new IllegalArgumentException("empty command envelope");
    };
  }

  public static StateSnapshot encode(ClusterState s) {
    StateSnapshot.Builder b =
        StateSnapshot.newBuilder()
            .setVersion(s.version())
            .setShardCount(s.shardCount())
            .setLastEpoch(s.lastEpoch())
            .setHeartbeatIntervalMs(s.settings().heartbeatInterval().toMillis())
            .setUnhealthyIntervalMs(s.settings().unhealthyInterval().toMillis())
            .setLeaseBoundIntervalMs(s.leaseBoundInterval().toMillis())
            .setClusterVersion(s.clusterVersion())
            .setSettingsVersion(s.settingsVersion())
            .setTokenKey(s.tokenKey())
            .setExternalCertificate(s.externalCertificate())
            .putAllApplicationSettings(s.application());
    s.retiredTokenKeys()
        .forEach(
            r ->
                b.addRetiredTokenKeys(
                    RetiredTokenKey.newBuilder()
                        .setPublicJwk(r.publicJwk())
                        .setRetiredAtUnixMs(r.retiredAt().toEpochMilli())));
    s.users().values().forEach(u -> b.addUsers(userProto(u)));
    s.masters().values().forEach(m -> b.addMasters(masterProto(m)));
    s.moves()
        .forEach(
            (shard, id) -> b.addMoves(SnapshotMove.newBuilder().setShard(shard).setCoreappId(id)));
    for (Assignment a : s.assignments().values()) {
      b.addAssignments(
          SnapshotAssignment.newBuilder()
              .setShard(a.shard())
              .setCoreappId(a.coreappId())
              .setEpoch(a.epoch()));
    }
    for (Coreapp c : s.coreapps().values()) {
      b.addCoreapps(
          SnapshotCoreapp.newBuilder()
              .setId(c.id())
              .setIncarnation(c.incarnation())
              .setAddress(c.address())
              .setActingMarginMs(c.actingMargin().toMillis())
              .setZone(c.zone())
              .setDrained(c.drained()));
    }
    for (Revocation r : s.revocations()) {
      b.addRevocations(
          SnapshotRevocation.newBuilder()
              .setCoreappId(r.coreappId())
              .setIncarnation(r.incarnation())
              .setShard(r.shard())
              .setShardCount(r.shardCount())
              .setEpoch(r.epoch()));
    }
    return b.build();
  }

  private static PutUserCmd.Builder putUser(Command.PutUser c) {
    return PutUserCmd.newBuilder()
        .setUsername(c.username())
        .setPasswordHash(c.passwordHash())
        .setMustChangePassword(c.mustChangePassword());
  }

  private static Command.PutUser putUser(PutUserCmd c) {
    return new Command.PutUser(c.getUsername(), c.getPasswordHash(), c.getMustChangePassword());
  }

  private static PutUserCmd userProto(User u) {
    PutUserCmd.Builder b =
        PutUserCmd.newBuilder()
            .setUsername(u.username())
            .setPasswordHash(u.passwordHash())
            .setMustChangePassword(u.mustChangePassword())
            .setCredentialsIndex(u.credentialsIndex());
    u.revokedTokens()
        .forEach(
            (id, expiry) ->
                b.addRevokedTokens(
                    RevokedToken.newBuilder()
                        .setTokenId(id)
                        .setExpiresAtUnixMs(expiry.toEpochMilli())));
    return b.build();
  }

  private static User user(PutUserCmd u) {
    TreeMap<String, Instant> revoked = new TreeMap<>();
    u.getRevokedTokensList()
        .forEach(r -> revoked.put(r.getTokenId(), Instant.ofEpochMilli(r.getExpiresAtUnixMs())));
    return new User(
        u.getUsername(),
        u.getPasswordHash(),
        u.getMustChangePassword(),
        u.getCredentialsIndex(),
        revoked);
  }

  private static PutMasterCmd masterProto(Master m) {
    return PutMasterCmd.newBuilder()
        .setId(m.id())
        .setRaftAddress(m.raftAddress())
        .setApiAddress(m.apiAddress())
        .build();
  }

  private static Master master(PutMasterCmd p) {
    return new Master(p.getId(), p.getRaftAddress(), p.getApiAddress());
  }

  public static ClusterState decode(StateSnapshot p) {
    TreeMap<String, User> users = new TreeMap<>();
    for (PutUserCmd u : p.getUsersList()) {
      users.put(u.getUsername(), user(u));
    }
    TreeMap<Integer, Assignment> assignments = new TreeMap<>();
    for (SnapshotAssignment a : p.getAssignmentsList()) {
      assignments.put(a.getShard(), new Assignment(a.getShard(), a.getCoreappId(), a.getEpoch()));
    }
    TreeMap<String, Coreapp> coreapps = new TreeMap<>();
    for (SnapshotCoreapp c : p.getCoreappsList()) {
      coreapps.put(
          c.getId(),
          new Coreapp(
              c.getId(),
              c.getIncarnation(),
              c.getAddress(),
              Duration.ofMillis(c.getActingMarginMs()),
              c.getZone(),
              c.getDrained()));
    }
    List<Revocation> revocations = new ArrayList<>();
    for (SnapshotRevocation r : p.getRevocationsList()) {
      revocations.add(
          new Revocation(
              r.getCoreappId(), r.getIncarnation(), r.getShard(), r.getShardCount(), r.getEpoch()));
    }
    TreeMap<Integer, String> moves = new TreeMap<>();
    p.getMovesList().forEach(m -> moves.put(m.getShard(), m.getCoreappId()));
    TreeMap<String, Master> masters = new TreeMap<>();
    p.getMastersList().forEach(m -> masters.put(m.getId(), master(m)));
    return new ClusterState(
        p.getVersion(),
        p.getShardCount(),
        p.getLastEpoch(),
        assignments,
        coreapps,
        revocations,
        new Settings(
            Duration.ofMillis(p.getHeartbeatIntervalMs()),
            Duration.ofMillis(p.getUnhealthyIntervalMs())),
        Duration.ofMillis(p.getLeaseBoundIntervalMs()),
        p.getSettingsVersion(),
        users,
        p.getTokenKey(),
        p.getRetiredTokenKeysList().stream()
            .map(
                r ->
                    new Tokens.RetiredKey(
                        r.getPublicJwk(), Instant.ofEpochMilli(r.getRetiredAtUnixMs())))
            .toList(),
        moves,
        masters,
        p.getExternalCertificate(),
        new TreeMap<>(p.getApplicationSettingsMap()),
        Math.max(ClusterVersion.INITIAL, p.getClusterVersion()));
  }
}
