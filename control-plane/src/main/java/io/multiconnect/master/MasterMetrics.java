package io.multiconnect.master;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.multiconnect.common.metrics.Families;
import io.multiconnect.common.metrics.NodeMetrics;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.grpc.StatusView;
import io.multiconnect.master.raft.Proposal;
import io.multiconnect.master.raft.RaftAccess;
import io.multiconnect.master.raft.StalledFollowers;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.ShardAssignment;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;

/**
 * A master's metrics (docs/operations.md, "Metrics"). Events are counted as they happen: proposals
 * by command and outcome, the primary changes they committed by cause, leadership changes, and the
 * time to handle each heartbeat. What the master knows now is read at each scrape from the same
 * {@link StatusView} the Admin status calls answer from: its Raft role and indexes, each follower's
 * lag (on the leader), the shard map with each primary and epoch, pending moves, the mirror's lag,
 * open Watch streams, and every coreapp's state, health and lease margin as the leader sees them.
 * Labels are shard numbers, coreapp and master ids, and fixed words: bounded by the cluster.
 */
final class MasterMetrics implements MultiCollector {
  static final List<String> RAFT_ROLES = List.of("leader", "candidate", "follower", "listener");
  static final List<String> COREAPP_STATES =
      List.of("primary", "releasing", "secondary", "drained");

  private final MeterRegistry registry;
  private final StatusView status;
  private final RaftAccess raft;
  private final BooleanSupplier leading;
  private final IntSupplier watchers;

  MasterMetrics(
      NodeMetrics metrics,
      StatusView status,
      RaftAccess raft,
      BooleanSupplier leading,
      IntSupplier watchers) {
    this.registry = metrics.registry();
    this.status = status;
    this.raft = raft;
    this.leading = leading;
    this.watchers = watchers;
    metrics.register(this);
  }

  /** Where the heartbeat handling times go, as a histogram. */
  static LongConsumer heartbeatHandling(MeterRegistry registry) {
    Timer timer =
        NodeMetrics.latency(
                "multiconnect_master_heartbeat_handling",
                "From a heartbeat's receipt to its answer, on this master",
                Duration.ofSeconds(5))
            .register(registry);
    return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Counts a proposal by command and outcome, and the primary change it committed, if any. */
  void proposed(Command command, Proposal outcome) {
    registry
        .counter(
            "multiconnect_master_proposals",
            "command",
            command.getClass().getSimpleName(),
            "outcome",
            outcome.getClass().getSimpleName().toLowerCase(Locale.ROOT))
        .increment();
    if (outcome instanceof Proposal.Committed) {
      primaryChange(command)
          .ifPresent(
              cause ->
                  registry
                      .counter("multiconnect_master_primary_changes", "cause", cause)
                      .increment());
    }
  }

  /**
   * Why a committed command changed a shard's primary: {@code failover} (a dead primary replaced by
   * a spare), {@code failover_no_spare} (a dead primary removed, no spare to take over), {@code
   * assign} (a vacant shard given a spare), {@code release} (a primary gave its shard up: shutdown,
   * drain, move), {@code move} (an operator's move revoked a primary), {@code reshard}.
   */
  static Optional<String> primaryChange(Command command) {
    if (command instanceof Command.AssignPrimary a) {
      return Optional.of(a.expectedEpoch() == 0 ? "assign" : "failover");
    }
    if (command instanceof Command.RemovePrimary) {
      return Optional.of("failover_no_spare");
    }
    if (command instanceof Command.ConfirmRelease) {
      return Optional.of("release");
    }
    if (command instanceof Command.MovePrimary) {
      return Optional.of("move");
    }
    return command instanceof Command.SetShardCount ? Optional.of("reshard") : Optional.empty();
  }

  /** This master started leading (it won an election and is ready), or stopped. */
  void leadershipChanged(boolean gained) {
    registry
        .counter("multiconnect_master_leadership_changes", "change", gained ? "gained" : "lost")
        .increment();
  }

  @Override
  public MetricSnapshots collect() {
    Families f = new Families();
    raft(f);
    cluster(f, status.cluster(true));
    f.gauge(
        "multiconnect_master_watchers", "Open Watch streams on this master", watchers.getAsInt());
    return f.build();
  }

  private void raft(Families f) {
    RaftAccess.LocalStatus s = raft.localStatus();
    for (String role : RAFT_ROLES) {
      f.gauge(
          "multiconnect_master_raft_role",
          "1 for this master's Raft role",
          role.equals(s.role()) ? 1 : 0,
          "role",
          role);
    }
    f.gauge(
        "multiconnect_master_leader",
        "1 while this master leads and is ready to decide",
        leading.getAsBoolean() ? 1 : 0);
    f.gauge("multiconnect_master_raft_term", "Current Raft term", s.term());
    f.gauge("multiconnect_master_raft_commit_index", "Raft commit index", s.commitIndex());
    f.gauge("multiconnect_master_raft_applied_index", "Raft applied index", s.appliedIndex());
    for (StalledFollowers.Follower follower : raft.followers()) {
      f.gauge(
          "multiconnect_master_raft_follower_lag_entries",
          "On the leader: entries a follower's log is behind the commit index",
          Math.max(0, s.commitIndex() - follower.matchIndex()),
          "follower",
          follower.id());
      f.gauge(
          "multiconnect_master_raft_follower_last_answer_seconds",
          "On the leader: time since a follower last answered",
          follower.lastRpcElapsedMs() / 1000.0,
          "follower",
          follower.id());
    }
  }

  private static void cluster(Families f, ClusterStatus c) {
    f.gauge(
        "multiconnect_master_heartbeat_interval_seconds",
        "The replicated heartbeat_interval",
        c.getShardMap().getSettings().getHeartbeatIntervalMs() / 1000.0);
    f.gauge(
        "multiconnect_master_unhealthy_interval_seconds",
        "The replicated unhealthy_interval",
        c.getShardMap().getSettings().getUnhealthyIntervalMs() / 1000.0);
    int shards = c.getShardMap().getShardCount();
    f.gauge("multiconnect_master_shards", "Shard count", shards);
    Map<Integer, ShardAssignment> primaries = new HashMap<>();
    c.getShardMap().getAssignmentsList().forEach(a -> primaries.put(a.getShard(), a));
    f.gauge(
        "multiconnect_master_shards_without_primary",
        "Shards no coreapp is primary of",
        shards - primaries.size());
    for (int shard = 0; shard < shards; shard++) {
      ShardAssignment a = primaries.get(shard);
      String s = Integer.toString(shard);
      f.gauge(
          "multiconnect_master_shard_has_primary",
          "1 while a coreapp is the shard's primary",
          a == null ? 0 : 1,
          "shard",
          s);
      if (a != null) {
        f.gauge(
            "multiconnect_master_shard_epoch",
            "Epoch of the shard's primary",
            a.getEpoch(),
            "shard",
            s,
            "coreapp",
            a.getCoreappId());
      }
    }
    f.gauge("multiconnect_master_moves_pending", "Operator moves not yet done", c.getMovesCount());
    if (c.getMirror().getEnabled()) {
      f.gauge(
          "multiconnect_master_mirror_lag_entries",
          "Applied entries the database mirror does not show yet",
          c.getMirror().getLagEntries());
      f.gauge(
          "multiconnect_master_mirror_behind_seconds",
          "How long the mirror has been behind (-1: never written)",
          c.getMirror().getBehindForMs() < 0 ? -1 : c.getMirror().getBehindForMs() / 1000.0);
    }
    Map<String, Integer> byState = new HashMap<>();
    for (CoreappStatus a : c.getCoreappsList()) {
      byState.merge(a.getState(), 1, Integer::sum);
      coreapp(f, a);
    }
    for (String state : COREAPP_STATES) {
      f.gauge(
          "multiconnect_master_coreapps",
          "Registered coreapps by state",
          byState.getOrDefault(state, 0),
          "state",
          state);
    }
  }

  private static void coreapp(Families f, CoreappStatus a) {
    String id = a.getId();
    f.gauge(
        "multiconnect_master_coreapp_healthy",
        "On the leader: 1 while the coreapp's heartbeats arrive in time",
        a.getHealthy() ? 1 : 0,
        "coreapp",
        id);
    if (a.getLastHeartbeatAgeMs() >= 0) {
      f.gauge(
          "multiconnect_master_coreapp_heartbeat_age_seconds",
          "On the leader: time since the coreapp's last heartbeat",
          a.getLastHeartbeatAgeMs() / 1000.0,
          "coreapp",
          id);
    }
    if (a.getLeaseRemainingMs() >= 0) {
      f.gauge(
          "multiconnect_master_coreapp_lease_remaining_seconds",
          "On the leader: upper bound of what is left of the coreapp's lease (0: holds none)",
          a.getLeaseRemainingMs() / 1000.0,
          "coreapp",
          id);
    }
  }
}
