package io.multiconnect.master.core;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.LeaseRules;
import io.multiconnect.common.lease.Revocation;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * The leader's decision engine: answers heartbeats with lease grants, and turns the replicated
 * state plus its own view of time into commands to propose. Pure logic over an injected monotonic
 * clock; the Ratis adapter and the simulation drive the same code.
 *
 * <p>One coordinator per leadership: made when this node became leader and had applied every
 * earlier entry of the log (it then starts every coreapp's clock: the grace period), {@linkplain
 * #end ended} when it stops leading, after which it grants no lease and plans nothing. A new
 * leadership gets a new coordinator; nothing a previous one saw carries over.
 *
 * <p>Thread-safe: every method is synchronized, so a heartbeat answer and a planning round never
 * interleave. The caller must only ask for a {@link #answer} after confirming its leadership at a
 * moment later than the heartbeat's receipt, and must propose the commands from {@link #poll} one
 * round at a time, reporting each outcome with {@link #proposalDone}.
 */
public final class Coordinator {

  private final LongSupplier nanoClock;
  private final FailureDetector detector;

  /** How long a coreapp holding nothing may stay silent before it is deregistered. */
  private final Duration deregisterAfter;

  /** Epochs this leader decided to take away; no lease is granted on them any more. */
  private final Set<Long> withheldEpochs = new HashSet<>();

  /** False once this leadership ended. */
  private boolean leading = true;

  /** {@code unhealthy_interval} of the newest state seen: who counts as healthy. */
  private Duration healthyWindow;

  /**
   * The coordinator of a leadership that starts now: this node became leader and has applied every
   * earlier entry of the log, up to {@code state}; a coreapp silent for {@code deregisterAfter}
   * that holds nothing is deregistered.
   */
  public Coordinator(LongSupplier nanoClock, ClusterState state, Duration deregisterAfter) {
    this.nanoClock = nanoClock;
    this.deregisterAfter = deregisterAfter;
    long now = nanoClock.getAsLong();
    this.detector = new FailureDetector(now);
    observe(state, now);
  }

  private void observe(ClusterState state, long now) {
    detector.observe(state, now);
    healthyWindow = state.settings().unhealthyInterval();
  }

  /** This leadership ended: from now on no lease is granted and nothing is planned. */
  public synchronized void end() {
    leading = false;
    withheldEpochs.clear();
  }

  /** Whether this leadership has not ended. */
  public synchronized boolean isLeading() {
    return leading;
  }

  /**
   * Called after every entry applied during this leadership: notes revocations and settings, and
   * forgets heartbeats of processes no longer registered.
   */
  public synchronized void applied(ClusterState state) {
    observe(state, nanoClock.getAsLong());
    detector.retainHeard(
        state.coreapps().values().stream()
            .map(c -> process(c.id(), c.incarnation()))
            .collect(Collectors.toSet()));
    withheldEpochs.removeIf(
        epoch -> state.assignments().values().stream().noneMatch(a -> a.epoch() == epoch));
  }

  /**
   * Records a heartbeat of process {@code incarnation} of {@code coreappId} at its receipt, before
   * any other processing. Only the registered process's heartbeats keep the coreapp alive. Returns
   * whether the process was not healthy just before (not heard within {@code unhealthy_interval}
   * during this leadership): it may now be given a shard, and a planning round should run at once
   * rather than at the next time {@link #nextCheckTimeNanos} names, which counts only silences.
   */
  public synchronized boolean heard(String coreappId, String incarnation, long receivedAtNanos) {
    return detector.heard(process(coreappId, incarnation), receivedAtNanos, healthyWindow);
  }

  /**
   * Computes the answer to a heartbeat of process {@code incarnation} from {@code state}, the
   * newest applied state. Only the registered process is granted anything: another one is told to
   * register (none is registered yet, or one from a log before incarnations) or that it was
   * superseded.
   */
  public synchronized HeartbeatDecision answer(
      ClusterState state, String coreappId, String incarnation) {
    Coreapp registered = state.coreapps().get(coreappId);
    if (registered == null || registered.incarnation().isEmpty()) {
      return HeartbeatDecision.refused(HeartbeatDecision.Refusal.UNKNOWN_COREAPP, state);
    }
    if (!registered.incarnation().equals(incarnation)) {
      return HeartbeatDecision.refused(HeartbeatDecision.Refusal.SUPERSEDED, state);
    }
    Optional<Assignment> primary = state.assignmentOf(coreappId);
    Duration lease =
        primary.isPresent() && leading && !withheldEpochs.contains(primary.get().epoch())
            ? LeaseRules.leaseDuration(state.settings().unhealthyInterval())
            : Duration.ZERO;
    List<Long> release =
        state.revocationsOf(coreappId).stream()
            .filter(r -> r.incarnation().equals(incarnation))
            .map(Revocation::epoch)
            .toList();
    return new HeartbeatDecision(HeartbeatDecision.Refusal.NONE, primary, lease, release, state);
  }

  /**
   * One planning round at the current time. Withholds leases on every epoch the plan takes away,
   * from this moment on, before the commands are proposed.
   */
  public synchronized List<Command> poll(ClusterState state) {
    if (!leading) {
      return List.of();
    }
    long now = nanoClock.getAsLong();
    observe(state, now);
    List<Command> commands = Planner.plan(state, liveness(state, now));
    for (Command c : commands) {
      epochTakenAway(c).ifPresent(withheldEpochs::add);
    }
    return commands;
  }

  /**
   * The release a coreapp asks for, carrying the primaries a planning round would assign once it is
   * applied ({@link Command.ConfirmRelease#thenAssign}): for shards without a primary only, which
   * take no epoch away, so nothing is withheld. None when this master does not lead or the release
   * frees nothing. Like every assignment, each is checked again when the entry is applied.
   */
  public synchronized Command.ConfirmRelease release(
      ClusterState state, String coreappId, String incarnation, long epoch, boolean leaving) {
    Command.ConfirmRelease alone =
        new Command.ConfirmRelease(coreappId, incarnation, epoch, leaving);
    if (!leading) {
      return alone; // a follower relays the release; the leader plans
    }
    ClusterState after = state.apply(alone, state.version());
    if (after.assignments().equals(state.assignments())
        && after.revocations().equals(state.revocations())) {
      return alone; // frees nothing (a release sent again)
    }
    List<Command.AssignPrimary> assign =
        Planner.plan(after, liveness(after, nanoClock.getAsLong())).stream()
            .filter(c -> c instanceof Command.AssignPrimary a && a.expectedEpoch() == 0)
            .map(Command.AssignPrimary.class::cast)
            .toList();
    return new Command.ConfirmRelease(coreappId, incarnation, epoch, leaving, assign);
  }

  /** How a proposal ended, as far as the proposer can tell. */
  public enum ProposalOutcome {
    COMMITTED,
    /** Definitely without effect: refused by validation, or applied as a stale no-op. */
    NOT_LOGGED,
    /**
     * Timed out, failed in transit, or "not the leader" (which Ratis also answers for an entry it
     * appended before stepping down): the entry may still commit.
     */
    UNKNOWN
  }

  /**
   * Reports how a proposed command ended. Only a command that was definitely not logged frees its
   * epoch for leasing again: after an unknown outcome the entry could still commit, and a lease
   * granted meanwhile would overlap the new primary. The epoch then stays withheld until the
   * applied state shows the outcome or this master stops leading.
   */
  public synchronized void proposalDone(Command command, ProposalOutcome outcome) {
    if (outcome == ProposalOutcome.NOT_LOGGED) {
      epochTakenAway(command).ifPresent(withheldEpochs::remove);
    }
  }

  private static OptionalLong epochTakenAway(Command c) {
    if (c instanceof Command.AssignPrimary a && a.expectedEpoch() != 0) {
      return OptionalLong.of(a.expectedEpoch());
    } else if (c instanceof Command.RemovePrimary r) {
      return OptionalLong.of(r.expectedEpoch());
    }
    return OptionalLong.empty();
  }

  /**
   * When the next planning round could change something, on the clock of this coordinator; empty
   * when nothing is time-dependent. Events (heartbeats, applied entries) may make an earlier round
   * useful too.
   */
  public synchronized OptionalLong nextCheckTimeNanos(ClusterState state) {
    if (!leading) {
      return OptionalLong.empty();
    }
    Duration window = state.leaseBoundInterval();
    LongStream dead =
        state.assignments().values().stream()
            .mapToLong(a -> detector.deadAtNanos(processOf(state, a.coreappId()), window));
    LongStream revoked =
        state.revocations().stream()
            .mapToLong(r -> detector.revocationExpiresAtNanos(r.epoch(), window));
    LongStream settle = detector.leaseBoundSettlesAtNanos(window).stream();
    LongStream gone =
        state.coreapps().values().stream()
            .filter(
                c ->
                    state
                        .validate(new Command.DeregisterCoreapp(c.id(), c.incarnation()))
                        .isEmpty())
            .mapToLong(
                c -> detector.deadAtNanos(process(c.id(), c.incarnation()), deregisterAfter));
    return LongStream.concat(LongStream.concat(dead, revoked), LongStream.concat(settle, gone))
        .min();
  }

  /** Refuses a shard count that the healthy coreapps could not cover. */
  public synchronized Optional<Rejection> checkShardCount(ClusterState state, int shardCount) {
    Optional<Rejection> invalid = state.validate(new Command.SetShardCount(shardCount));
    if (invalid.isPresent()) {
      return invalid;
    }
    long now = nanoClock.getAsLong();
    long healthy =
        state.coreapps().keySet().stream()
            .filter(
                id ->
                    detector.isHealthy(
                        processOf(state, id), now, state.settings().unhealthyInterval()))
            .count();
    if (healthy < shardCount) {
      return Optional.of(
          new Rejection(
              "shard_count",
              shardCount
                  + " shards need at least "
                  + shardCount
                  + " healthy coreapps, but only "
                  + healthy
                  + " are healthy"));
    }
    return Optional.empty();
  }

  /**
   * Refuses a move the state would reject, or whose target is not healthy (the shard would wait for
   * it).
   */
  public synchronized Optional<Rejection> checkMove(ClusterState state, Command.MovePrimary move) {
    Optional<Rejection> invalid = state.validate(move);
    if (invalid.isPresent() || isHealthy(state, move.coreappId())) {
      return invalid;
    }
    return Optional.of(
        new Rejection("coreapp_id", "coreapp '" + move.coreappId() + "' is not healthy"));
  }

  /**
   * Nanoseconds since the leader last heard the coreapp's registered process in this leadership, if
   * it has.
   */
  public synchronized OptionalLong heartbeatAgeNanos(ClusterState state, String coreappId) {
    OptionalLong heard = detector.lastHeardNanos(processOf(state, coreappId));
    return heard.isPresent()
        ? OptionalLong.of(nanoClock.getAsLong() - heard.getAsLong())
        : OptionalLong.empty();
  }

  public synchronized boolean isHealthy(ClusterState state, String coreappId) {
    return detector.isHealthy(
        processOf(state, coreappId), nanoClock.getAsLong(), state.settings().unhealthyInterval());
  }

  /** The detector's key for one process of a coreapp. */
  private static String process(String coreappId, String incarnation) {
    return coreappId + "\n" + incarnation;
  }

  /** The detector's key for the process registered under {@code coreappId} in {@code state}. */
  private static String processOf(ClusterState state, String coreappId) {
    Coreapp c = state.coreapps().get(coreappId);
    return process(coreappId, c == null ? "" : c.incarnation());
  }

  private Planner.Liveness liveness(ClusterState state, long now) {
    Duration healthyWindow = state.settings().unhealthyInterval();
    Duration leaseWindow = state.leaseBoundInterval();
    return new Planner.Liveness() {
      @Override
      public boolean isHealthy(String coreappId) {
        return detector.isHealthy(processOf(state, coreappId), now, healthyWindow);
      }

      @Override
      public boolean isDead(String coreappId) {
        return now >= detector.deadAtNanos(processOf(state, coreappId), leaseWindow);
      }

      @Override
      public boolean isExpired(Revocation revocation) {
        return now >= detector.revocationExpiresAtNanos(revocation.epoch(), leaseWindow);
      }

      @Override
      public boolean isGone(String coreappId) {
        return now >= detector.deadAtNanos(processOf(state, coreappId), deregisterAfter);
      }

      @Override
      public boolean isLeaseBoundSettled() {
        OptionalLong at = detector.leaseBoundSettlesAtNanos(leaseWindow);
        return at.isPresent() && now >= at.getAsLong();
      }
    };
  }
}
