package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import org.junit.jupiter.api.Test;

/** Every entry moves the state to its index, whatever it holds; none stops a master. */
class ApplyEntryTest {
  private final ClusterState before =
      ClusterState.INITIAL.apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"), 1);

  private static byte[] entry(Command c, long proposerTerm) {
    return CommandCodec.encode(c).toBuilder().setProposerTerm(proposerTerm).build().toByteArray();
  }

  @Test
  void aCommandOfItsProposersTermTakesEffect() {
    MasterStateMachine.Applied a =
        MasterStateMachine.applyEntry(before, entry(new Command.SetDrained("a", true), 4), 4, 2);
    assertTrue(a.state().coreapps().get("a").drained());
    assertEquals(2, a.state().version());
    assertEquals("2", a.reply());
  }

  @Test
  void aStaleCommandChangesNothingButTheVersion() {
    MasterStateMachine.Applied a =
        MasterStateMachine.applyEntry(before, entry(new Command.SetDrained("a", true), 3), 4, 2);
    assertEquals(before.coreapps(), a.state().coreapps());
    assertEquals(2, a.state().version(), "the applied index and the state's version agree");
    assertEquals(MasterStateMachine.STALE + 2, a.reply());
  }

  @Test
  void anEntryThisBuildCannotReadIsANoOpNotACrash() {
    // A command type added by a later release: a field this build's envelope does not know.
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
    MasterStateMachine.Applied a = MasterStateMachine.applyEntry(before, unknown, 4, 2);
    assertEquals(before.coreapps(), a.state().coreapps());
    assertEquals(2, a.state().version());
    assertTrue(a.reply().startsWith(MasterStateMachine.UNREADABLE), a.reply());

    MasterStateMachine.Applied garbage =
        MasterStateMachine.applyEntry(before, new byte[] {(byte) 0xff, 0x01}, 4, 3);
    assertEquals(3, garbage.state().version());
    assertTrue(garbage.reply().startsWith(MasterStateMachine.UNREADABLE), garbage.reply());
  }
}
