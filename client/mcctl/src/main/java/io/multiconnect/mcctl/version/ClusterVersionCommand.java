package io.multiconnect.mcctl.version;

import io.multiconnect.mcctl.Mcctl;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl cluster-version get|set}. */
@Command(
    name = "cluster-version",
    mixinStandardHelpOptions = true,
    description =
        "Read or raise the cluster version: what the replicated state may hold. Raise it once every"
            + " node runs a release that supports it (docs/operations.md, Rolling upgrades).",
    subcommands = {ClusterVersionGetCommand.class, ClusterVersionSetCommand.class})
public final class ClusterVersionCommand {
  @ParentCommand public Mcctl root;
}
