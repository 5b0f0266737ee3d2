package io.multiconnect.mcctl.master;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.MasterStatus;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl master remove ID}. */
@Command(
    name = "remove",
    mixinStandardHelpOptions = true,
    description =
        "Remove a master (not the leader: transfer leadership first) from the Raft group. Stop"
            + " its process afterwards.")
public final class MasterRemoveCommand implements Callable<Integer> {
  @ParentCommand MasterCommand group;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The master's node.id.")
  String id;

  @Override
  public Integer call() {
    List<MasterStatus> masters;
    try (AdminClient client = group.root.client()) {
      masters = client.removeMaster(id);
    }
    MasterListCommand.printMasters(group, spec, masters);
    return 0;
  }
}
