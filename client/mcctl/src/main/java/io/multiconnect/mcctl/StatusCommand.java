package io.multiconnect.mcctl;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.MirrorStatus;
import io.multiconnect.proto.v1.ShardAssignment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code mcctl status}: masters (Raft role and indexes), shards, coreapps (health, lease, zone) and
 * the mirror, as the leader sees them, then warnings about placement: a shard whose primary has no
 * healthy spare outside its zone (one failure of that zone leaves the shard without a primary), and
 * a zone that holds a majority of the masters (its failure stops the control plane).
 */
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
    root.print(spec.commandLine(), table(s), json(s));
    return 0;
  }

  static String table(ClusterStatus s) {
    StringBuilder t = new StringBuilder();
    t.append(
        String.format(
            "leader %s (term %d, applied index %d), %d shard(s), cluster version %d, answered by"
                + " %s%n",
            s.getLeader().getLeaderId().isEmpty() ? "none" : s.getLeader().getLeaderId(),
            s.getTerm(),
            s.getAppliedIndex(),
            s.getShardMap().getShardCount(),
            s.getClusterVersion(),
            s.getAnsweredBy()));
    MirrorStatus m = s.getMirror();
    t.append(
        m.getEnabled()
            ? String.format(
                "mirror at index %d, %d entries behind%s%n",
                m.getMirroredIndex(),
                m.getLagEntries(),
                m.getBehindForMs() > 0 ? " for " + m.getBehindForMs() + " ms" : "")
            : String.format("mirror: none%n"));
    t.append(System.lineSeparator()).append(mastersTable(s.getMastersList()));
    t.append(String.format("%n%-6s %-12s %-22s %s%n", "SHARD", "PRIMARY", "ADDRESS", "EPOCH"));
    for (ShardAssignment a : s.getShardMap().getAssignmentsList()) {
      t.append(
          String.format(
              "%-6d %-12s %-22s %d%n",
              a.getShard(), a.getCoreappId(), a.getCoreappAddress(), a.getEpoch()));
    }
    s.getMovesMap()
        .forEach((shard, target) -> t.append(String.format("%-6d moving to %s%n", shard, target)));
    String row = "%-12s %-12s %-10s %-6s %-6s %-8s %-16s %s%n";
    t.append(
        String.format(
            "%n" + row,
            "COREAPP",
            "ZONE",
            "STATE",
            "SHARD",
            "EPOCH",
            "HEALTHY",
            "LAST HEARTBEAT",
            "LEASE LEFT"));
    for (CoreappStatus c : s.getCoreappsList()) {
      t.append(
          String.format(
              row,
              c.getId(),
              zone(c.getZone()),
              c.getState(),
              c.getShard() < 0 ? "-" : Integer.toString(c.getShard()),
              Long.toString(c.getEpoch()),
              c.getHealthy() ? "yes" : "no",
              c.getLastHeartbeatAgeMs() < 0 ? "-" : c.getLastHeartbeatAgeMs() + " ms ago",
              c.getLeaseRemainingMs() < 0
                  ? "-"
                  : c.getLeaseRemainingMs() == 0
                      ? "none"
                      : "<= " + c.getLeaseRemainingMs() + " ms"));
    }
    List<String> warnings = placementWarnings(s);
    if (!warnings.isEmpty()) {
      t.append(System.lineSeparator());
      warnings.forEach(w -> t.append("warning: ").append(w).append(System.lineSeparator()));
    }
    return t.toString();
  }

  private static String zone(String zone) {
    return zone.isEmpty() ? "-" : zone;
  }

  /**
   * What one zone's failure would take down, when any node names a zone: each shard whose primary
   * has no healthy spare in another zone, and a zone holding a majority of the masters. Health is
   * known only to the leader: when a follower answered, the spares' health is not checked.
   */
  public static List<String> placementWarnings(ClusterStatus s) {
    List<String> warnings = new ArrayList<>();
    boolean zoned =
        s.getCoreappsList().stream().anyMatch(c -> !c.getZone().isEmpty())
            || s.getMastersList().stream().anyMatch(m -> !m.getZone().isEmpty());
    if (!zoned) {
      return warnings;
    }
    boolean healthKnown = s.getAnsweredBy().equals(s.getLeader().getLeaderId());
    Map<String, CoreappStatus> byId = new LinkedHashMap<>();
    s.getCoreappsList().forEach(c -> byId.put(c.getId(), c));
    for (ShardAssignment a : s.getShardMap().getAssignmentsList()) {
      CoreappStatus primary = byId.get(a.getCoreappId());
      if (primary == null) {
        continue;
      }
      boolean spareElsewhere =
          s.getCoreappsList().stream()
              .anyMatch(
                  c ->
                      c.getState().equals("secondary")
                          && (c.getHealthy() || !healthKnown)
                          && !c.getZone().equals(primary.getZone()));
      if (!spareElsewhere) {
        warnings.add(
            String.format(
                "shard %d: no %sspare outside zone %s of its primary %s",
                a.getShard(),
                healthKnown ? "healthy " : "",
                zone(primary.getZone()),
                primary.getId()));
      }
    }
    Map<String, Integer> masters = new LinkedHashMap<>();
    s.getMastersList().forEach(m -> masters.merge(m.getZone(), 1, Integer::sum));
    masters.forEach(
        (zone, count) -> {
          if (count > s.getMastersCount() / 2) {
            warnings.add(
                String.format(
                    "zone %s holds %d of the %d masters: its failure stops the control plane",
                    zone(zone), count, s.getMastersCount()));
          }
        });
    return warnings;
  }

  static Map<String, Object> json(ClusterStatus s) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("leader", s.getLeader().getLeaderId());
    json.put("term", s.getTerm());
    json.put("applied_index", s.getAppliedIndex());
    json.put("answered_by", s.getAnsweredBy());
    json.put("shards", s.getShardMap().getShardCount());
    json.put("cluster_version", s.getClusterVersion());
    MirrorStatus m = s.getMirror();
    json.put(
        "mirror",
        Map.of(
            "enabled", m.getEnabled(),
            "mirrored_index", m.getMirroredIndex(),
            "lag_entries", m.getLagEntries(),
            "behind_for_ms", m.getBehindForMs()));
    json.put("masters", s.getMastersList().stream().map(StatusCommand::master).toList());
    json.put(
        "primaries",
        s.getShardMap().getAssignmentsList().stream().map(StatusCommand::primary).toList());
    json.put("moves", s.getMovesMap());
    List<Map<String, Object>> coreapps = new ArrayList<>();
    for (CoreappStatus c : s.getCoreappsList()) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("id", c.getId());
      one.put("state", c.getState());
      one.put("zone", c.getZone());
      one.put("incarnation", c.getIncarnation());
      one.put("acting_margin_ms", c.getActingMarginMs());
      one.put("shard", c.getShard());
      one.put("epoch", c.getEpoch());
      one.put("healthy", c.getHealthy());
      one.put("last_heartbeat_age_ms", c.getLastHeartbeatAgeMs());
      one.put("lease_remaining_ms", c.getLeaseRemainingMs());
      coreapps.add(one);
    }
    json.put("coreapps", coreapps);
    json.put("warnings", placementWarnings(s));
    return json;
  }

  /** The masters' Raft role and indexes as a table (also used by {@code master list}). */
  public static String mastersTable(List<MasterStatus> masters) {
    StringBuilder t = new StringBuilder();
    String row = "%-8s %-22s %-22s %-12s %-11s %-6s %-8s %s%n";
    t.append(
        String.format(row, "MASTER", "API", "RAFT", "ZONE", "ROLE", "TERM", "COMMIT", "APPLIED"));
    for (MasterStatus ms : masters) {
      boolean ok = ms.getError().isEmpty();
      t.append(
          String.format(
              row,
              ms.getId(),
              ms.getAddress(),
              ms.getRaftAddress(),
              zone(ms.getZone()),
              ms.getRole(),
              ok ? ms.getTerm() : "-",
              ok ? ms.getCommitIndex() : "-",
              ok ? ms.getAppliedIndex() : ms.getError()));
    }
    return t.toString();
  }

  /** One shard's primary as a JSON object (also used by {@code watch}). */
  static Map<String, Object> primary(ShardAssignment a) {
    return Map.of("shard", a.getShard(), "coreapp", a.getCoreappId(), "epoch", a.getEpoch());
  }

  /** One master as a JSON object (also used by {@code master list}). */
  public static Map<String, Object> master(MasterStatus m) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", m.getId());
    out.put("address", m.getAddress());
    out.put("raft_address", m.getRaftAddress());
    out.put("zone", m.getZone());
    out.put("leader", m.getLeader());
    out.put("role", m.getRole());
    out.put("term", m.getTerm());
    out.put("commit_index", m.getCommitIndex());
    out.put("applied_index", m.getAppliedIndex());
    out.put("supported_cluster_version", m.getSupportedClusterVersion());
    if (!m.getError().isEmpty()) {
      out.put("error", m.getError());
    }
    return out;
  }
}
