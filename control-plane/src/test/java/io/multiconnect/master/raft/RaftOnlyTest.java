package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import java.util.Optional;
import java.util.Set;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Who may speak Raft to a master with TLS on: a master of the current configuration, in its own
 * name. Ratis itself believes the sender id in a request and takes appends from any peer with a
 * high enough term.
 */
class RaftOnlyTest {
  private static final Set<String> MEMBERS = Set.of("m1", "m2", "m3");

  private static Optional<NodeIdentity> as(Role role, String id) {
    return Optional.of(new NodeIdentity(role, id));
  }

  @Test
  void onlyMastersOfTheConfigurationAreHeard() {
    assertEquals(Optional.empty(), RaftAccess.refusal(as(Role.MASTER, "m2"), MEMBERS::contains));
    assertEquals(
        Optional.of("master/m9 is not a member of the Raft group"),
        RaftAccess.refusal(as(Role.MASTER, "m9"), MEMBERS::contains),
        "a removed master's certificate, still valid");
    assertEquals(
        Optional.of("only masters speak Raft here"),
        RaftAccess.refusal(as(Role.COREAPP, "m2"), MEMBERS::contains));
    assertEquals(
        Optional.of("only masters speak Raft here"),
        RaftAccess.refusal(Optional.empty(), MEMBERS::contains));
  }

  @Test
  void aRequestNamesTheMasterItComesFrom() {
    RaftRpcRequestProto fromM2 =
        RaftRpcRequestProto.newBuilder().setRequestorId(ByteString.copyFromUtf8("m2")).build();
    assertEquals(
        Optional.of("m2"),
        RaftAccess.requestor(
            AppendEntriesRequestProto.newBuilder().setServerRequest(fromM2).build()));
    assertEquals(
        Optional.of("m2"),
        RaftAccess.requestor(
            RequestVoteRequestProto.newBuilder().setServerRequest(fromM2).build()));
    assertEquals(Optional.empty(), RaftAccess.requestor("something else"));
  }
}
