package io.multiconnect.mcctl.leader;

import io.multiconnect.client.AdminClient;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl leader transfer MASTER}. */
@Command(
    name = "transfer",
    mixinStandardHelpOptions = true,
    description =
        "Hand Raft leadership to MASTER (e.g. before maintenance on the leader's host). The new"
            + " leader waits one unhealthy_interval before failing anything over.")
public final class LeaderTransferCommand implements Callable<Integer> {
  @ParentCommand LeaderCommand group;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MASTER", description = "Id of the master to lead.")
  String masterId;

  @Override
  public Integer call() {
    String leader;
    try (AdminClient client = group.root.client()) {
      leader = client.transferLeadership(masterId).getLeaderId();
    }
    group.root.print(
        spec.commandLine(), "leader is now " + leader + "\n", Map.of("leader", leader));
    return 0;
  }
}
