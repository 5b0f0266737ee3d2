package io.multiconnect.client.primary;

import io.multiconnect.client.Mcctl;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl primary move}. */
@Command(
    name = "primary",
    mixinStandardHelpOptions = true,
    description = "The primary coreapp of a shard.",
    subcommands = {PrimaryMoveCommand.class})
public final class PrimaryCommand {
  @ParentCommand public Mcctl root;
}
