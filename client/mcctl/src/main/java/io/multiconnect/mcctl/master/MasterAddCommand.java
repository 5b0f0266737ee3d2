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

/** {@code mcctl master add ID RAFT_ADDRESS API_ADDRESS}. */
@Command(
    name = "add",
    mixinStandardHelpOptions = true,
    description =
        "Add a master to the Raft group. Start it first with join=true (MC_JOIN=true), the same"
            + " group.id and peers listing every current master plus itself; it catches up from the"
            + " leader before it votes.")
public final class MasterAddCommand implements Callable<Integer> {
  @ParentCommand MasterCommand group;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The new master's node.id.")
  String id;

  @Parameters(index = "1", paramLabel = "RAFT", description = "host:port of its Raft server.")
  String raftAddress;

  @Parameters(index = "2", paramLabel = "API", description = "host:port of its API server.")
  String apiAddress;

  @Override
  public Integer call() {
    List<MasterStatus> masters;
    try (AdminClient client = group.root.client()) {
      masters = client.addMaster(id, raftAddress, apiAddress);
    }
    MasterListCommand.printMasters(group, spec, masters);
    return 0;
  }
}
