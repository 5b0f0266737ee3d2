package io.multiconnect.mcctl.settings;

import io.multiconnect.mcctl.Mcctl;
import io.multiconnect.proto.v1.ClusterSettings;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mcctl settings get|set}. */
@Command(
    name = "settings",
    mixinStandardHelpOptions = true,
    description = "Read or change heartbeat_interval and unhealthy_interval.",
    subcommands = {SettingsGetCommand.class, SettingsSetCommand.class})
public final class SettingsCommand {
  @ParentCommand public Mcctl root;

  /** Prints settings in seconds, as the REST API does. */
  void print(CommandLine cmd, ClusterSettings s) {
    double heartbeat = s.getHeartbeatIntervalMs() / 1000.0;
    double unhealthy = s.getUnhealthyIntervalMs() / 1000.0;
    root.print(
        cmd,
        "heartbeat_interval: " + heartbeat + " s\nunhealthy_interval: " + unhealthy + " s\n",
        Map.of("heartbeat_interval", heartbeat, "unhealthy_interval", unhealthy));
  }
}
