package io.multiconnect.mcctl.master;

import io.multiconnect.mcctl.Mcctl;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl master list|add|remove}. */
@Command(
    name = "master",
    mixinStandardHelpOptions = true,
    description = "Membership of the masters' Raft group.",
    subcommands = {MasterListCommand.class, MasterAddCommand.class, MasterRemoveCommand.class})
public final class MasterCommand {
  @ParentCommand public Mcctl root;
}
