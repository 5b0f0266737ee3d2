package io.multiconnect.mcctl.version;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.MasterStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl cluster-version get}: the cluster version and what each master supports. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = "Print the cluster version and the highest one each master's release supports.")
public final class ClusterVersionGetCommand implements Callable<Integer> {
  @ParentCommand ClusterVersionCommand group;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ClusterStatus s;
    try (AdminClient client = group.root.client()) {
      s = client.status();
    }
    StringBuilder text = new StringBuilder("cluster version " + s.getClusterVersion() + "\n");
    Map<String, Object> supported = new LinkedHashMap<>();
    for (MasterStatus m : s.getMastersList()) {
      boolean answered = m.getError().isEmpty();
      text.append(
          String.format(
              "  %-8s %s%n",
              m.getId(),
              answered
                  ? "supports up to " + m.getSupportedClusterVersion()
                  : "unreachable: " + m.getError()));
      supported.put(m.getId(), answered ? m.getSupportedClusterVersion() : null);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("cluster_version", s.getClusterVersion());
    json.put("supported", supported);
    group.root.print(spec.commandLine(), text.toString(), json);
    return 0;
  }
}
