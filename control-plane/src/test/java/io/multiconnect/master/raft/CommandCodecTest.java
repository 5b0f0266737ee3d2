package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.auth.Tokens;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.ClusterVersion;
import io.multiconnect.master.core.Command;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import io.multiconnect.proto.v1.raft.StateSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandCodecTest {

  private static Command throughTheLog(Command c) throws Exception {
    return CommandCodec.decode(CommandEnvelope.parseFrom(CommandCodec.encode(c).toByteArray()));
  }

  @Test
  void aReleaseKeepsTheAssignmentsItCarries() throws Exception {
    Command.ConfirmRelease release =
        new Command.ConfirmRelease(
            "a",
            "a-1",
            7,
            true,
            List.of(new Command.AssignPrimary(0, "b", 0), new Command.AssignPrimary(3, "c", 0)));
    assertEquals(release, throughTheLog(release));
    assertEquals(release.alone(), throughTheLog(release.alone()));
    assertEquals(
        new Command.AssignPrimary(2, "d", 5), throughTheLog(new Command.AssignPrimary(2, "d", 5)));
  }

  @Test
  void processesTheirMarginsAndZonesSurviveTheLogAndTheSnapshot() throws Exception {
    Command.RegisterCoreapp register =
        new Command.RegisterCoreapp(
            "a", "a-7f", "127.0.0.1:7001", Duration.ofMillis(500), "eu-west-1a");
    assertEquals(register, throughTheLog(register));
    ClusterState s =
        ClusterState.INITIAL
            .apply(register, 1)
            .apply(new Command.AssignPrimary(0, "a", 0), 2)
            .apply(new Command.RegisterCoreapp("a", "a-80", "127.0.0.1:7001"), 3);
    ClusterState restored =
        CommandCodec.decode(StateSnapshot.parseFrom(CommandCodec.encode(s).toByteArray()));
    assertEquals(s, restored);
    assertEquals("a-7f", restored.revocations().get(0).incarnation());
    assertEquals("", restored.coreapps().get("a").zone());
    ClusterState zoned = ClusterState.INITIAL.apply(register, 1);
    assertEquals(
        "eu-west-1a",
        CommandCodec.decode(StateSnapshot.parseFrom(CommandCodec.encode(zoned).toByteArray()))
            .coreapps()
            .get("a")
            .zone());
  }

  @Test
  void aRaisedClusterVersionSurvivesTheLogAndTheSnapshot() throws Exception {
    Command.SetClusterVersion raise = new Command.SetClusterVersion(3);
    assertEquals(raise, throughTheLog(raise));
    ClusterState s = ClusterState.INITIAL.apply(raise, 1);
    assertEquals(
        3,
        CommandCodec.decode(StateSnapshot.parseFrom(CommandCodec.encode(s).toByteArray()))
            .clusterVersion());
    // A snapshot of a release before the gate names no version: the initial one.
    assertEquals(
        ClusterVersion.INITIAL,
        CommandCodec.decode(
                CommandCodec.encode(ClusterState.INITIAL).toBuilder().clearClusterVersion().build())
            .clusterVersion());
  }

  @Test
  void aDeregistrationSurvivesTheLog() throws Exception {
    Command.DeregisterCoreapp forget = new Command.DeregisterCoreapp("a", "a-7f");
    assertEquals(forget, throughTheLog(forget));
  }

  @Test
  void aTokenKeyReplacementSurvivesTheLog() throws Exception {
    Command.SetTokenKey set = new Command.SetTokenKey(Tokens.newSigningKey());
    assertEquals(set, throughTheLog(set));
  }

  @Test
  void aRotationAndTheRetiredKeysSurviveTheLogAndTheSnapshot() throws Exception {
    Command.RotateTokenKey rotate =
        new Command.RotateTokenKey(
            Tokens.newSigningKey(), Instant.ofEpochMilli(1_765_000_000_123L), false);
    assertEquals(rotate, throughTheLog(rotate));
    Command.RotateTokenKey dropping =
        new Command.RotateTokenKey(Tokens.newSigningKey(), Instant.ofEpochMilli(7), true);
    assertEquals(dropping, throughTheLog(dropping));
    ClusterState s =
        ClusterState.INITIAL
            .apply(new Command.InitAuth(Tokens.newSigningKey(), "$2a$hash"), 1)
            .apply(rotate, 2);
    ClusterState restored =
        CommandCodec.decode(StateSnapshot.parseFrom(CommandCodec.encode(s).toByteArray()));
    assertEquals(s, restored);
    assertEquals(1, restored.retiredTokenKeys().size());
  }

  @Test
  void aSettleAndTheSnapshotKeepTheSettingsVersion() throws Exception {
    assertEquals(new Command.SettleSettings(9), throughTheLog(new Command.SettleSettings(9)));
    ClusterState s =
        ClusterState.INITIAL
            .apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"), 1)
            .apply(new Command.AssignPrimary(0, "a", 0), 2)
            .apply(new Command.UpdateSettings(Duration.ofMillis(200), Duration.ofSeconds(1)), 3);
    ClusterState restored =
        CommandCodec.decode(StateSnapshot.parseFrom(CommandCodec.encode(s).toByteArray()));
    assertEquals(3, restored.settingsVersion());
    assertEquals(s, restored);
  }

  @Test
  void usersTheirCredentialsAndRevokedTokensSurviveTheLogAndTheSnapshot() throws Exception {
    Instant now = Instant.ofEpochMilli(1_765_000_000_000L);
    Command.RevokeToken logout =
        new Command.RevokeToken("alice", "t-1", now.plus(Duration.ofHours(1)), now);
    assertEquals(logout, throughTheLog(logout));
    assertEquals(new Command.DeleteUser("bob"), throughTheLog(new Command.DeleteUser("bob")));
    ClusterState s =
        ClusterState.INITIAL
            .apply(new Command.InitAuth(Tokens.newSigningKey(), "$2a$hash"), 1)
            .apply(new Command.PutUser("alice", "$2a$alice", false), 2)
            .apply(new Command.PutUser("bob", "$2a$bob", false), 3)
            .apply(logout, 4)
            .apply(new Command.DeleteUser("bob"), 5);
    ClusterState restored =
        CommandCodec.decode(StateSnapshot.parseFrom(CommandCodec.encode(s).toByteArray()));
    assertEquals(s, restored);
    assertEquals(2, restored.users().get("alice").credentialsIndex());
    assertEquals(
        List.of("t-1"), List.copyOf(restored.users().get("alice").revokedTokens().keySet()));
  }

  @Test
  void applicationSettingsSurviveTheLogAndTheSnapshot() throws Exception {
    Command.SetApplicationSettings set =
        new Command.SetApplicationSettings(
            Map.of("webhooks.url", "https://hooks.example.com/wa", "sent_status", "true"));
    assertEquals(set, throughTheLog(set));
    ClusterState s = ClusterState.INITIAL.apply(set, 1);
    ClusterState restored =
        CommandCodec.decode(StateSnapshot.parseFrom(CommandCodec.encode(s).toByteArray()));
    assertEquals(s, restored);
    assertEquals("https://hooks.example.com/wa", restored.application().get("webhooks.url"));
  }

  @Test
  void aRestoredBackupCrossesTheLog() throws Exception {
    Command.RestoreBackup restore =
        new Command.RestoreBackup(
            Map.of("business.profile.websites", "https://a.example\nhttps://b.example"),
            List.of(new Command.PutUser("alice", "$2a$alice", true)));
    assertEquals(restore, throughTheLog(restore));
  }
}
