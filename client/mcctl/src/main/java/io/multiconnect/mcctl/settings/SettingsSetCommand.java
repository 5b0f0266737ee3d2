package io.multiconnect.mcctl.settings;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.ClusterSettings;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl settings set [--heartbeat-interval S] [--unhealthy-interval S]}. */
@Command(
    name = "set",
    mixinStandardHelpOptions = true,
    description = "Change settings cluster-wide, without restarts (seconds).")
public final class SettingsSetCommand implements Callable<Integer> {
  @ParentCommand SettingsCommand group;
  @Spec CommandSpec spec;

  @Option(names = "--heartbeat-interval", paramLabel = "S", description = "Seconds.")
  Double heartbeat;

  @Option(names = "--unhealthy-interval", paramLabel = "S", description = "Seconds.")
  Double unhealthy;

  @Override
  public Integer call() {
    if (heartbeat == null && unhealthy == null) {
      throw new ParameterException(
          spec.commandLine(), "give --heartbeat-interval and/or --unhealthy-interval");
    }
    ClusterSettings s;
    try (AdminClient client = group.root.client()) {
      s = client.updateSettings(millis(heartbeat), millis(unhealthy));
    }
    group.print(spec.commandLine(), s);
    return 0;
  }

  private static long millis(Double seconds) {
    return seconds == null ? 0 : Math.round(seconds * 1000);
  }
}
