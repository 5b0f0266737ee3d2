package io.multiconnect.mcctl.shards;

import io.multiconnect.client.AdminClient;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl shards get}. */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print the shard count.")
public final class ShardsGetCommand implements Callable<Integer> {
  @ParentCommand ShardsCommand group;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    int shards;
    try (AdminClient client = group.root.client()) {
      shards = client.status().getShardMap().getShardCount();
    }
    group.root.print(spec.commandLine(), "shards: " + shards + "\n", Map.of("shards", shards));
    return 0;
  }
}
