package io.multiconnect.mcctl.version;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.SetClusterVersionResponse;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl cluster-version set N}. */
@Command(
    name = "set",
    mixinStandardHelpOptions = true,
    description =
        "Raise the cluster version to N. Refused unless every master answers with a release that"
            + " supports N; never lowered: afterwards, a master of an older release stops instead"
            + " of applying the log.")
public final class ClusterVersionSetCommand implements Callable<Integer> {
  @ParentCommand ClusterVersionCommand group;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "N", description = "The new cluster version.")
  int version;

  @Override
  public Integer call() {
    SetClusterVersionResponse r;
    try (AdminClient client = group.root.client()) {
      r = client.setClusterVersion(version);
    }
    group.root.print(
        spec.commandLine(),
        "cluster version raised to " + r.getClusterVersion() + " (index " + r.getIndex() + ")\n",
        Map.of("cluster_version", r.getClusterVersion(), "index", r.getIndex()));
    return 0;
  }
}
