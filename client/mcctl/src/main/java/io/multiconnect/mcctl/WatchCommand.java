package io.multiconnect.mcctl;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMapDelta;
import io.multiconnect.proto.v1.WatchEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code mcctl watch}: assignment changes as they commit, one line each (JSON lines with --json).
 */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description =
        "Print the shard map, then every change to it as it commits (primaries, shard count,"
            + " settings), until Ctrl-C or --count events. Resumes on another master if one fails.")
public final class WatchCommand implements Callable<Integer> {
  @ParentCommand Mcctl root;
  @Spec CommandSpec spec;

  @Option(names = "--count", description = "Stop after this many events (default: never).")
  long count = Long.MAX_VALUE;

  @Option(
      names = "--from",
      description = "Resume after this version (default 0: start with the full map).")
  long fromVersion;

  @Override
  public Integer call() {
    long[] seen = {0};
    try (AdminClient client = root.client()) {
      client.watch(
          fromVersion,
          e -> {
            root.printLine(spec.commandLine(), line(e), json(e));
            return ++seen[0] < count;
          });
    }
    return 0;
  }

  static String line(WatchEvent e) {
    if (e.hasSnapshot()) {
      String primaries =
          e.getSnapshot().getAssignmentsList().stream()
              .map(a -> a.getShard() + "=" + a.getCoreappId() + "@" + a.getEpoch())
              .collect(Collectors.joining(" "));
      return String.format(
          "%d map: %d shard(s) %s",
          e.getVersion(), e.getSnapshot().getShardCount(), primaries.isEmpty() ? "-" : primaries);
    }
    ShardMapDelta d = e.getDelta();
    List<String> parts = new ArrayList<>();
    parts.add(d.getShardCount() + " shard(s)");
    for (ShardAssignment a : d.getUpsertsList()) {
      parts.add("shard " + a.getShard() + " -> " + a.getCoreappId() + "@" + a.getEpoch());
    }
    for (int shard : d.getRemovedShardsList()) {
      parts.add("shard " + shard + " has no primary");
    }
    return e.getVersion() + " change: " + String.join(", ", parts);
  }

  static Map<String, Object> json(WatchEvent e) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", e.getVersion());
    out.put("kind", e.hasSnapshot() ? "map" : "change");
    List<ShardAssignment> primaries =
        e.hasSnapshot() ? e.getSnapshot().getAssignmentsList() : e.getDelta().getUpsertsList();
    out.put(
        "shard_count",
        e.hasSnapshot() ? e.getSnapshot().getShardCount() : e.getDelta().getShardCount());
    out.put("primaries", primaries.stream().map(StatusCommand::primary).toList());
    out.put("removed_shards", e.hasSnapshot() ? List.of() : e.getDelta().getRemovedShardsList());
    return out;
  }
}
