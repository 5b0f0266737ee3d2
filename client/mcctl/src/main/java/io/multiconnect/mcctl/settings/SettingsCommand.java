package io.multiconnect.mcctl.settings;

import io.multiconnect.mcctl.Mcctl;
import io.multiconnect.proto.v1.ClusterSettings;
import java.util.LinkedHashMap;
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
    Map<String, Object> json = json(s);
    root.print(
        cmd,
        "heartbeat_interval: "
            + json.get("heartbeat_interval")
            + " s\nunhealthy_interval: "
            + json.get("unhealthy_interval")
            + " s\n",
        json);
  }

  /** The intervals in seconds, by their REST API names (also the support bundle's). */
  public static Map<String, Object> json(ClusterSettings s) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("heartbeat_interval", s.getHeartbeatIntervalMs() / 1000.0);
    json.put("unhealthy_interval", s.getUnhealthyIntervalMs() / 1000.0);
    return json;
  }
}
