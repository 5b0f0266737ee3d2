package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.ClusterVersion;
import io.multiconnect.master.core.Command;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import org.junit.jupiter.api.Test;

/**
 * Every entry a master can apply moves the state to its index; an entry it cannot apply (a later
 * release's) stops it rather than being applied as something else.
 */
class ApplyEntryTest {
  private final ClusterState before =
      ClusterState.INITIAL.apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"), 1);

  private static byte[] entry(Command c, long proposerTerm) {
    return CommandCodec.encode(c).toBuilder().setProposerTerm(proposerTerm).build().toByteArray();
  }

  private MasterStateMachine.Applied apply(byte[] entry, long term, long index) {
    return MasterStateMachine.applyEntry(before, entry, term, index, ClusterVersion.SUPPORTED);
  }

  @Test
  void aCommandOfItsProposersTermTakesEffect() {
    MasterStateMachine.Applied a = apply(entry(new Command.SetDrained("a", true), 4), 4, 2);
    assertTrue(a.state().coreapps().get("a").drained());
    assertEquals(2, a.state().version());
    assertEquals("2", a.reply());
  }

  @Test
  void aStaleCommandChangesNothingButTheVersion() {
    MasterStateMachine.Applied a = apply(entry(new Command.SetDrained("a", true), 3), 4, 2);
    assertEquals(before.coreapps(), a.state().coreapps());
    assertEquals(2, a.state().version(), "the applied index and the state's version agree");
    assertEquals(MasterStateMachine.STALE + 2, a.reply());
  }

  @Test
  void anEntryThisReleaseCannotReadStopsTheMaster() {
    // A command type added by a later release: a field this release's envelope does not know.
    byte[] unknown =
        CommandEnvelope.newBuilder()
            .setProposerTerm(4)
            .setUnknownFields(
                com.google.protobuf.UnknownFieldSet.newBuilder()
                    .addField(
                        99,
                        com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                    .build())
            .build()
            .toByteArray();
    MasterStateMachine.IncompatibleEntryException e =
        assertThrows(
            MasterStateMachine.IncompatibleEntryException.class, () -> apply(unknown, 4, 2));
    assertTrue(
        e.getMessage().startsWith("entry 2 (term 4) holds no command this release knows"),
        e.getMessage());

    assertThrows(
        MasterStateMachine.IncompatibleEntryException.class,
        () -> apply(new byte[] {(byte) 0xff, 0x01}, 4, 3));
  }

  @Test
  void anEntryNeedingAHigherClusterVersionStopsAMasterOfAnEarlierRelease() throws Exception {
    byte[] raise = entry(new Command.SetClusterVersion(2), 4);
    assertEquals(2, CommandEnvelope.parseFrom(raise).getRequiredVersion());
    MasterStateMachine.IncompatibleEntryException e =
        assertThrows(
            MasterStateMachine.IncompatibleEntryException.class,
            () -> MasterStateMachine.applyEntry(before, raise, 4, 2, 1));
    assertTrue(
        e.getMessage()
            .contains("needs cluster version 2, and this master's release supports up to 1"),
        e.getMessage());
    // A release that supports it applies it.
    assertEquals(2, MasterStateMachine.applyEntry(before, raise, 4, 2, 2).state().clusterVersion());
    // Proposed in another term, it is a no-op on every master: it stops none.
    MasterStateMachine.Applied stale = MasterStateMachine.applyEntry(before, raise, 5, 2, 1);
    assertEquals(MasterStateMachine.STALE + 2, stale.reply());
    assertEquals(1, stale.state().clusterVersion());
  }

  @Test
  void entriesOfTheInitialVersionNameNone() throws Exception {
    assertEquals(
        0,
        CommandEnvelope.parseFrom(entry(new Command.SetDrained("a", true), 4))
            .getRequiredVersion());
  }
}
