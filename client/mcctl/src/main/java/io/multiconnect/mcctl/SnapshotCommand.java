package io.multiconnect.mcctl;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.TakeSnapshotResponse;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl snapshot}. */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    description = "Take a snapshot of the replicated state on the leader now (with a checksum).")
public final class SnapshotCommand implements Callable<Integer> {
  @ParentCommand Mcctl root;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    TakeSnapshotResponse r;
    try (AdminClient client = root.client()) {
      r = client.takeSnapshot();
    }
    root.print(
        spec.commandLine(),
        "snapshot taken on " + r.getMasterId() + " at index " + r.getIndex() + "\n",
        Map.of("master", r.getMasterId(), "index", r.getIndex()));
    return 0;
  }
}
