package io.multiconnect.master.core;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.Revocation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
 * spare; a target is not given to any other shard. One shard per coreapp; other spares are taken in
 * id order, so the plan is deterministic.
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
    for (Assignment a : state.assignments().values()) {
      if (liveness.isDead(a.coreappId())) {
        Optional<String> spare = pickSpare(state, liveness, taken);
        spare.ifPresent(taken::add);
        commands.add(
            spare
                .<Command>map(id -> new Command.AssignPrimary(a.shard(), id, a.epoch()))
                .orElseGet(() -> new Command.RemovePrimary(a.shard(), a.epoch())));
      }
    }
    for (int shard = 0; shard < state.shardCount(); shard++) {
      if (state.assignments().containsKey(shard) || overlapsRevocation(state, shard)) {
        continue;
      }
      Optional<String> spare =
          Optional.ofNullable(state.moves().get(shard))
              .filter(id -> state.isSpare(id) && liveness.isHealthy(id) && !taken.contains(id))
              .or(() -> pickSpare(state, liveness, taken));
      if (spare.isEmpty()) {
        continue;
      }
      taken.add(spare.get());
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

  private static Optional<String> pickSpare(
      ClusterState state, Liveness liveness, Set<String> taken) {
    return state.coreapps().keySet().stream()
        .filter(id -> !taken.contains(id) && state.isSpare(id) && liveness.isHealthy(id))
        .filter(id -> !state.moves().containsValue(id))
        .findFirst();
  }
}
