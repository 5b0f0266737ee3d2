package io.multiconnect.mcctl.coreapp;

import io.multiconnect.mcctl.Mcctl;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl coreapp drain|undrain}. */
@Command(
    name = "coreapp",
    mixinStandardHelpOptions = true,
    description = "Take coreapps out of service and back.",
    subcommands = {CoreappDrainCommand.class, CoreappDrainCommand.Undrain.class})
public final class CoreappCommand {
  @ParentCommand public Mcctl root;
}
