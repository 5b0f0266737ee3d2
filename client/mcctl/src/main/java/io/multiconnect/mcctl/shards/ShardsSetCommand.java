package io.multiconnect.mcctl.shards;

import io.multiconnect.client.AdminClient;
import io.multiconnect.common.shard.ShardCounts;
import io.multiconnect.proto.v1.SetShardCountResponse;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl shards set N}. */
@Command(
    name = "set",
    mixinStandardHelpOptions = true,
    description =
        "Change the shard count (one of "
            + ShardCounts.LIST
            + "; needs as many healthy coreapps). Primaries release their shards and new ones are"
            + " placed at once.")
public final class ShardsSetCommand implements Callable<Integer> {
  @ParentCommand ShardsCommand group;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "N", description = "The new shard count.")
  int shards;

  @Override
  public Integer call() {
    SetShardCountResponse r;
    try (AdminClient client = group.root.client()) {
      r = client.setShardCount(shards);
    }
    group.root.print(
        spec.commandLine(),
        "shards set to " + r.getShardCount() + " (index " + r.getVersion() + ")\n",
        Map.of("shards", r.getShardCount(), "index", r.getVersion()));
    return 0;
  }
}
