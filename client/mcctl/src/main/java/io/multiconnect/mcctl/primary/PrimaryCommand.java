package io.multiconnect.mcctl.primary;

import io.multiconnect.mcctl.Mcctl;
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
