package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.master.core.Command;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import java.util.List;
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
            7,
            true,
            List.of(new Command.AssignPrimary(0, "b", 0), new Command.AssignPrimary(3, "c", 0)));
    assertEquals(release, throughTheLog(release));
    assertEquals(release.alone(), throughTheLog(release.alone()));
    assertEquals(
        new Command.AssignPrimary(2, "d", 5), throughTheLog(new Command.AssignPrimary(2, "d", 5)));
  }
}
