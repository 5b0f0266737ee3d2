package io.multiconnect.mcctl.master;

import io.multiconnect.client.AdminClient;
import io.multiconnect.mcctl.StatusCommand;
import io.multiconnect.proto.v1.MasterStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl master list}. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List the masters of the Raft group with their role, term and indexes.")
public final class MasterListCommand implements Callable<Integer> {
  @ParentCommand MasterCommand group;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    List<MasterStatus> masters;
    try (AdminClient client = group.root.client()) {
      masters = client.listMasters();
    }
    printMasters(group, spec, masters);
    return 0;
  }

  static void printMasters(MasterCommand group, CommandSpec spec, List<MasterStatus> masters) {
    group.root.print(
        spec.commandLine(),
        StatusCommand.mastersTable(masters),
        Map.of("masters", masters.stream().map(StatusCommand::master).toList()));
  }
}
