package io.multiconnect.mcctl.shards;

import io.multiconnect.mcctl.Mcctl;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl shards get|set}. */
@Command(
    name = "shards",
    mixinStandardHelpOptions = true,
    description = "Read or change the shard count.",
    subcommands = {ShardsGetCommand.class, ShardsSetCommand.class})
public final class ShardsCommand {
  @ParentCommand public Mcctl root;
}
