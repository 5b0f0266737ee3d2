package io.multiconnect.mcctl.settings;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.ClusterSettings;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl settings get}. */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print the settings.")
public final class SettingsGetCommand implements Callable<Integer> {
  @ParentCommand SettingsCommand group;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ClusterSettings s;
    try (AdminClient client = group.root.client()) {
      s = client.settings();
    }
    group.print(spec.commandLine(), s);
    return 0;
  }
}
