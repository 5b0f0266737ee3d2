package io.multiconnect.mcctl.leader;

import io.multiconnect.mcctl.Mcctl;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl leader transfer}. */
@Command(
    name = "leader",
    mixinStandardHelpOptions = true,
    description = "Raft leadership of the masters.",
    subcommands = {LeaderTransferCommand.class})
public final class LeaderCommand {
  @ParentCommand public Mcctl root;
}
