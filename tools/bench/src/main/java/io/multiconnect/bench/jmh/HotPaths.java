package io.multiconnect.bench.jmh;

import io.multiconnect.common.shard.Sharding;
import io.multiconnect.dataplane.RoutingTable;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Coordinator;
import io.multiconnect.master.core.HeartbeatDecision;
import io.multiconnect.master.raft.CommandCodec;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMap;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The in-process hot paths, on a cluster of 32 shards and 64 coreapps: the webapp's routing of one
 * message (shard hash and table lookup), the leader's answer to one heartbeat, one command applied
 * to the replicated state, and one command through the Raft log codec. {@code tools/bench/run jmh
 * HotPaths}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotPaths {
  private static final int SHARDS = 32;
  private static final int COREAPPS = 64;

  private ClusterState state;
  private Coordinator coordinator;
  private RoutingTable table;
  private final Command settings =
      new Command.UpdateSettings(Duration.ofMillis(1000), Duration.ofMillis(5000));
  private long index;
  private int next;

  @Setup
  public void setUp() {
    ClusterState s = ClusterState.INITIAL.apply(new Command.SetShardCount(SHARDS), 1);
    long i = 2;
    for (int c = 0; c < COREAPPS; c++) {
      s =
          s.apply(
              new Command.RegisterCoreapp(coreapp(c), coreapp(c), "10.0.0." + c + ":9891"), i++);
    }
    ShardMap.Builder map = ShardMap.newBuilder().setShardCount(SHARDS);
    for (int shard = 0; shard < SHARDS; shard++) {
      s = s.apply(new Command.AssignPrimary(shard, coreapp(shard), 0), i++);
      map.addAssignments(
          ShardAssignment.newBuilder()
              .setShard(shard)
              .setCoreappId(coreapp(shard))
              .setCoreappAddress("10.0.0." + shard + ":9891")
              .setEpoch(shard + 1));
    }
    state = s;
    index = i;
    coordinator = new Coordinator(System::nanoTime, state, MasterConfig.DEFAULT_DEREGISTER_AFTER);
    table = RoutingTable.of(map.setVersion(i).build());
    if (state.assignments().size() != SHARDS) {
      throw new IllegalStateException("set-up assigned " + state.assignments().size() + " shards");
    }
  }

  private static String coreapp(int c) {
    return String.format("c%02d", c);
  }

  @Benchmark
  public Optional<ShardAssignment> routeOneMessage() {
    String to = "1555" + (1_000_000 + (next++ & 0xffff));
    return table.primaryOf(Sharding.shardOf(to, table.shardCount()));
  }

  @Benchmark
  public HeartbeatDecision answerOneHeartbeat() {
    String id = coreapp(next++ & (COREAPPS - 1));
    coordinator.heard(id, id, System.nanoTime());
    return coordinator.answer(state, id, id);
  }

  @Benchmark
  public ClusterState applyOneCommand() {
    return state.apply(settings, index);
  }

  @Benchmark
  public Command encodeAndDecodeOneCommand() {
    return CommandCodec.decode(CommandCodec.encode(settings));
  }
}
