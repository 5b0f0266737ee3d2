package io.multiconnect.mcctl.primary;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.MovePrimaryResponse;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl primary move SHARD COREAPP}. */
@Command(
    name = "move",
    mixinStandardHelpOptions = true,
    description =
        "Move SHARD to COREAPP (a healthy spare), gracefully: the current primary releases on its"
            + " next heartbeat, then COREAPP takes over. Webapps hold requests for the shard"
            + " meanwhile.")
public final class PrimaryMoveCommand implements Callable<Integer> {
  @ParentCommand PrimaryCommand group;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SHARD", description = "The shard to move.")
  int shard;

  @Parameters(index = "1", paramLabel = "COREAPP", description = "Id of the new primary.")
  String coreappId;

  @Override
  public Integer call() {
    MovePrimaryResponse r;
    try (AdminClient client = group.root.client()) {
      r = client.movePrimary(shard, coreappId);
    }
    String from = r.getFromCoreappId().isEmpty() ? "no primary" : r.getFromCoreappId();
    group.root.print(
        spec.commandLine(),
        "shard "
            + shard
            + " moving from "
            + from
            + " to "
            + coreappId
            + " (index "
            + r.getVersion()
            + ")\n",
        Map.of(
            "shard",
            shard,
            "from",
            r.getFromCoreappId(),
            "to",
            coreappId,
            "index",
            r.getVersion()));
    return 0;
  }
}
