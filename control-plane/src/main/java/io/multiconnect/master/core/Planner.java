package io.multiconnect.master.core;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.Revocation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Decides what the leader should change: a pure function of the replicated state and the leader's
 * view of liveness. It never mutates anything; the commands it returns are proposed to the log and
 * take effect only when applied.
 *
 * <p>Rules, in order: settle a decreased lease bound once it is surely over; expire revocations
 * whose leases are surely over; replace every dead primary with a healthy spare (or leave the shard
 * without a primary); give every shard without a primary a healthy spare, unless its recipients
 * overlap a revocation still pending; deregister every coreapp gone so long that it is forgotten,
 * when it holds nothing. A shard an operator moved goes to its target when the target is a healthy
 * spare; a target is not given to any other shard. One shard per coreapp.
 *
 * <p>Placement: a spare that replaces a dead primary is taken outside the dead primary's zone when
 * one outside it is healthy (what killed the primary may have taken its zone), and otherwise every
 * spare goes where the zones hold the fewest primaries (counting those this plan assigns), so
 * primaries spread across zones. Ties go in id order, so the plan is deterministic. Coreapps that
 * name no zone are one zone together: a cluster without zones is planned in id order. Dead
 * primaries are replaced shard by shard, those with the fewest spares outside their zone first, so
 * that a shard with a choice does not take another's only one (a heuristic, not a matching).
 */
public final class Planner {

  /** What the leader knows about time, evaluated at one instant. */
  public interface Liveness {
    /** Heard recently enough to be given a shard. */
    boolean isHealthy(String coreappId);

    /** Silent so long that any lease it holds has surely run out. */
    boolean isDead(String coreappId);

    /** The holder's lease on this revoked epoch has surely run out. */
    boolean isExpired(Revocation revocation);

    /** Every lease granted under the state's unsettled lease bound has surely run out. */
    boolean isLeaseBoundSettled();

    /** Silent so long ({@code coreapp.deregister.after.seconds}) that it is forgotten. */
    boolean isGone(String coreappId);
  }

  private Planner() {}

  public static List<Command> plan(ClusterState state, Liveness liveness) {
    List<Command> commands = new ArrayList<>();
    if (state.leaseBoundInterval().compareTo(state.settings().unhealthyInterval()) > 0
        && liveness.isLeaseBoundSettled()) {
      commands.add(new Command.SettleSettings(state.settingsVersion()));
    }
    for (Revocation r : state.revocations()) {
      if (liveness.isExpired(r)) {
        commands.add(new Command.ExpireRevocation(r.coreappId(), r.epoch()));
      }
    }
    Set<String> taken = new HashSet<>();
    Map<String, Integer> primaries = new HashMap<>();
    for (Assignment a : state.assignments().values()) {
      if (!liveness.isDead(a.coreappId())) {
        primaries.merge(zoneOf(state, a.coreappId()), 1, Integer::sum);
      }
    }
    // The shards with the fewest spares outside their dead primary's zone choose first, so that
    // one with a choice does not take another's only spare outside its zone.
    List<Assignment> dead =
        state.assignments().values().stream()
            .filter(a -> liveness.isDead(a.coreappId()))
            .sorted(
                Comparator.comparingLong(
                        (Assignment a) ->
                            candidates(state, liveness, taken)
                                .filter(
                                    id -> !zoneOf(state, id).equals(zoneOf(state, a.coreappId())))
                                .count())
                    .thenComparingInt(Assignment::shard))
            .toList();
    for (Assignment a : dead) {
      Optional<String> spare =
          pickSpare(state, liveness, taken, primaries, Optional.of(zoneOf(state, a.coreappId())));
      spare.ifPresent(id -> take(state, id, taken, primaries));
      commands.add(
          spare
              .<Command>map(id -> new Command.AssignPrimary(a.shard(), id, a.epoch()))
              .orElseGet(() -> new Command.RemovePrimary(a.shard(), a.epoch())));
    }
    for (int shard = 0; shard < state.shardCount(); shard++) {
      if (state.assignments().containsKey(shard) || overlapsRevocation(state, shard)) {
        continue;
      }
      Optional<String> spare =
          Optional.ofNullable(state.moves().get(shard))
              .filter(id -> state.isSpare(id) && liveness.isHealthy(id) && !taken.contains(id))
              .or(() -> pickSpare(state, liveness, taken, primaries, Optional.empty()));
      if (spare.isEmpty()) {
        continue;
      }
      take(state, spare.get(), taken, primaries);
      commands.add(new Command.AssignPrimary(shard, spare.get(), 0));
    }
    for (Coreapp c : state.coreapps().values()) {
      Command.DeregisterCoreapp forget = new Command.DeregisterCoreapp(c.id(), c.incarnation());
      if (!taken.contains(c.id()) && liveness.isGone(c.id()) && state.validate(forget).isEmpty()) {
        commands.add(forget);
      }
    }
    return commands;
  }

  private static boolean overlapsRevocation(ClusterState state, int shard) {
    return state.revocations().stream().anyMatch(r -> r.overlaps(shard, state.shardCount()));
  }

  private static String zoneOf(ClusterState state, String coreappId) {
    Coreapp c = state.coreapps().get(coreappId);
    return c == null ? "" : c.zone();
  }

  private static void take(
      ClusterState state, String id, Set<String> taken, Map<String, Integer> primaries) {
    taken.add(id);
    primaries.merge(zoneOf(state, id), 1, Integer::sum);
  }

  /**
   * The healthy spare (neither taken by this plan nor reserved by a move) outside {@code avoid} if
   * there is one, in the zone with the fewest {@code primaries}, first in id order.
   */
  private static Optional<String> pickSpare(
      ClusterState state,
      Liveness liveness,
      Set<String> taken,
      Map<String, Integer> primaries,
      Optional<String> avoid) {
    Comparator<String> best =
        Comparator.<String, Boolean>comparing(id -> avoid.equals(Optional.of(zoneOf(state, id))))
            .thenComparing(id -> primaries.getOrDefault(zoneOf(state, id), 0))
            .thenComparing(Comparator.naturalOrder());
    return candidates(state, liveness, taken).min(best);
  }

  /** The healthy spares neither taken by this plan nor reserved by a move, in id order. */
  private static Stream<String> candidates(
      ClusterState state, Liveness liveness, Set<String> taken) {
    return state.coreapps().keySet().stream()
        .filter(id -> !taken.contains(id) && state.isSpare(id) && liveness.isHealthy(id))
        .filter(id -> !state.moves().containsValue(id));
  }
}
