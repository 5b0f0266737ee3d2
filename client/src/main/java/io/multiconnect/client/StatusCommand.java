package io.multiconnect.client;

import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.ShardAssignment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl status}: masters, shards and coreapps as the answering master sees them. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the cluster.")
public final class StatusCommand implements Callable<Integer> {
  @ParentCommand Mcctl root;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ClusterStatus s;
    try (AdminClient client = root.client()) {
      s = client.status();
    }
    StringBuilder t = new StringBuilder();
    t.append(
        String.format(
            "leader %s (term %d, applied index %d), %d shard(s), answered by %s%n%n",
            s.getLeader().getLeaderId().isEmpty() ? "none" : s.getLeader().getLeaderId(),
            s.getTerm(),
            s.getAppliedIndex(),
            s.getShardMap().getShardCount(),
            s.getAnsweredBy()));
    t.append(String.format("%-8s %-22s %s%n", "MASTER", "ADDRESS", "ROLE"));
    for (MasterStatus m : s.getMastersList()) {
      t.append(
          String.format(
              "%-8s %-22s %s%n", m.getId(), m.getAddress(), m.getLeader() ? "leader" : "follower"));
    }
    t.append(String.format("%n%-6s %-12s %-22s %s%n", "SHARD", "PRIMARY", "ADDRESS", "EPOCH"));
    for (ShardAssignment a : s.getShardMap().getAssignmentsList()) {
      t.append(
          String.format(
              "%-6d %-12s %-22s %d%n",
              a.getShard(), a.getCoreappId(), a.getCoreappAddress(), a.getEpoch()));
    }
    t.append(
        String.format(
            "%n%-12s %-10s %-6s %-6s %-8s %s%n",
            "COREAPP", "STATE", "SHARD", "EPOCH", "HEALTHY", "LAST HEARTBEAT"));
    for (CoreappStatus c : s.getCoreappsList()) {
      t.append(
          String.format(
              "%-12s %-10s %-6s %-6d %-8s %s%n",
              c.getId(),
              c.getState(),
              c.getShard() < 0 ? "-" : Integer.toString(c.getShard()),
              c.getEpoch(),
              c.getHealthy() ? "yes" : "no",
              c.getLastHeartbeatAgeMs() < 0 ? "-" : c.getLastHeartbeatAgeMs() + " ms ago"));
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("leader", s.getLeader().getLeaderId());
    json.put("term", s.getTerm());
    json.put("applied_index", s.getAppliedIndex());
    json.put("shards", s.getShardMap().getShardCount());
    json.put(
        "masters",
        s.getMastersList().stream()
            .map(m -> Map.of("id", m.getId(), "address", m.getAddress(), "leader", m.getLeader()))
            .toList());
    json.put(
        "primaries",
        s.getShardMap().getAssignmentsList().stream()
            .map(
                a ->
                    Map.of(
                        "shard", a.getShard(), "coreapp", a.getCoreappId(), "epoch", a.getEpoch()))
            .toList());
    List<Map<String, Object>> coreapps =
        s.getCoreappsList().stream()
            .map(
                c ->
                    Map.<String, Object>of(
                        "id", c.getId(),
                        "state", c.getState(),
                        "shard", c.getShard(),
                        "epoch", c.getEpoch(),
                        "healthy", c.getHealthy(),
                        "last_heartbeat_age_ms", c.getLastHeartbeatAgeMs()))
            .toList();
    json.put("coreapps", coreapps);
    root.print(spec.commandLine(), t.toString(), json);
    return 0;
  }
}
