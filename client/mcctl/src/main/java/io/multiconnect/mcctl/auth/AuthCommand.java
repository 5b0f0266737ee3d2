package io.multiconnect.mcctl.auth;

import io.multiconnect.mcctl.Mcctl;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl auth rotate-key}. */
@Command(
    name = "auth",
    mixinStandardHelpOptions = true,
    description = "The keys that sign and verify API tokens.",
    subcommands = {RotateKeyCommand.class})
public final class AuthCommand {
  @ParentCommand public Mcctl root;
}
