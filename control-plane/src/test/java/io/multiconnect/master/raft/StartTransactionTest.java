package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.master.core.ClusterVersion;
import io.multiconnect.master.core.Command;
import java.io.IOException;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/** What the leader's state machine lets into the log. */
class StartTransactionTest {
  private final MasterStateMachine machine = new MasterStateMachine(ClusterVersion.SUPPORTED);

  private TransactionContext start(Command c, long proposerTerm) throws IOException {
    byte[] envelope =
        CommandCodec.encode(c).toBuilder().setProposerTerm(proposerTerm).build().toByteArray();
    return machine.startTransaction(
        RaftClientRequest.newBuilder()
            .setClientId(ClientId.randomId())
            .setServerId(RaftPeerId.valueOf("m0"))
            .setGroupId(RaftGroupId.randomId())
            .setCallId(1)
            .setMessage(Message.valueOf(ByteString.copyFrom(envelope)))
            .setType(RaftClientRequest.writeRequestType())
            .build());
  }

  @Test
  void aWriteWithoutAProposerTermIsNeverLogged() throws IOException {
    Command register = new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001");
    assertNull(start(register, 3).getException(), "a leader's own proposal");
    Exception refused = start(register, 0).getException();
    assertTrue(
        refused != null && refused.getMessage().startsWith("no proposer term"),
        String.valueOf(refused));
  }

  @Test
  void anEntryNeedingMoreThanThisReleaseSupportsIsNeverLogged() throws IOException {
    Exception refused =
        start(new Command.SetClusterVersion(ClusterVersion.SUPPORTED + 1), 3).getException();
    assertTrue(
        refused != null
            && refused
                .getMessage()
                .equals(
                    MasterStateMachine.needsMore(
                        ClusterVersion.SUPPORTED + 1, ClusterVersion.SUPPORTED)),
        String.valueOf(refused));
  }
}
