package io.multiconnect.master.backup;

import com.google.protobuf.InvalidProtocolBufferException;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.proto.v1.BackupContents;
import io.multiconnect.proto.v1.BackupUser;
import java.time.Instant;
import java.util.Optional;

/**
 * What a backup of the cluster holds (its application settings and profile, intervals, shard count
 * and users with their password hashes) and what restoring it proposes; sealed with {@link
 * BackupCipher}. Pure: the leader's handler does the I/O.
 */
public final class Backups {
  private Backups() {}

  /** A backup of {@code s} taken at {@code at}, sealed with {@code password}. */
  public static String take(ClusterState s, Instant at, String password) {
    BackupContents.Builder b =
        BackupContents.newBuilder()
            .putAllApplicationSettings(s.application())
            .setHeartbeatIntervalMs(s.settings().heartbeatInterval().toMillis())
            .setUnhealthyIntervalMs(s.settings().unhealthyInterval().toMillis())
            .setShardCount(s.shardCount())
            .setTakenAt(at.toString());
    s.users()
        .values()
        .forEach(
            u ->
                b.addUsers(
                    BackupUser.newBuilder()
                        .setUsername(u.username())
                        .setPasswordHash(u.passwordHash())
                        .setMustChangePassword(u.mustChangePassword())));
    return BackupCipher.seal(b.build().toByteArray(), password);
  }

  /**
   * The contents of backup {@code data}, opened with {@code password}; empty when it opens but is
   * not a backup's contents.
   */
  public static Optional<BackupContents> open(String data, String password)
      throws BackupCipher.Unreadable {
    try {
      return Optional.of(BackupContents.parseFrom(BackupCipher.open(data, password)));
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  /** The entry that restores the settings and users of {@code c}. */
  public static Command.RestoreBackup restore(BackupContents c) {
    return new Command.RestoreBackup(
        c.getApplicationSettingsMap(),
        c.getUsersList().stream()
            .map(
                u ->
                    new Command.PutUser(
                        u.getUsername(), u.getPasswordHash(), u.getMustChangePassword()))
            .toList());
  }
}
