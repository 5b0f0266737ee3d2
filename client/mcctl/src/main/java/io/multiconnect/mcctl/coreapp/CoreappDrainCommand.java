package io.multiconnect.mcctl.coreapp;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.CoreappStatus;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl coreapp drain COREAPP}; {@link Undrain} is the way back. */
@Command(
    name = "drain",
    mixinStandardHelpOptions = true,
    description =
        "Drain COREAPP: its shard moves to a healthy spare (gracefully) and it is given none until"
            + " undrained or restarted.")
public class CoreappDrainCommand implements Callable<Integer> {
  @ParentCommand CoreappCommand group;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "COREAPP", description = "Id of the coreapp.")
  String coreappId;

  boolean drained() {
    return true;
  }

  @Override
  public Integer call() {
    CoreappStatus c;
    try (AdminClient client = group.root.client()) {
      c = client.setDrained(coreappId, drained());
    }
    group.root.print(
        spec.commandLine(),
        "coreapp " + c.getId() + " is " + c.getState() + "\n",
        Map.of("coreapp", c.getId(), "state", c.getState()));
    return 0;
  }

  /** {@code mcctl coreapp undrain COREAPP}. */
  @Command(
      name = "undrain",
      mixinStandardHelpOptions = true,
      description = "Undrain COREAPP: it may be given a shard again.")
  public static final class Undrain extends CoreappDrainCommand {
    @Override
    boolean drained() {
      return false;
    }
  }
}
