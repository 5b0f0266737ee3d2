package io.multiconnect.dataplane.coreapp;

import io.grpc.Channel;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.CoreappLease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The coreapp's lease and what follows from it for its upstream session, decided purely: times are
 * the coreapp's monotonic nanoseconds; the loop owns it (not thread-safe) and does the I/O.
 *
 * <p>The coreapp acts (holds its session, sends, keeps the session alive) only before its acting
 * deadline: the end of its lease less its acting margin (the upstream's silence timeout plus the
 * longest a call takes to reach it), so the upstream has dropped a session whose holder was cut off
 * from it, or paused, by the time the lease runs out (docs/safety.md, the timing budget).
 */
final class LeaseDecisions {
  /** A session to open: for {@code assignment}, under {@code shardCount} shards. */
  record Open(Assignment assignment, int shardCount) {}

  /**
   * What the loop does about its session at one instant: close the one it holds (and why), open
   * one, and when to decide again (at the acting deadline, while a lease is held).
   */
  record Step(Optional<String> close, Optional<Open> open, OptionalLong recheckAtNanos) {}

  /**
   * The session the coreapp holds: its epoch and shard count, its id once accepted, and the
   * connection its calls go over.
   */
  record Held(int shardCount, long epoch, String sessionId, Channel channel) {}

  private final CoreappLease lease = new CoreappLease();
  private final long marginNanos;

  private long lastSentSequence;

  /** After a clock jump, the first heartbeat whose answer is trusted again; 0 when trusted. */
  private long trustFromSequence;

  /** The shard count the held epoch was granted under. */
  private int shardCount = 1;

  LeaseDecisions(Duration actingMargin) {
    this.marginNanos = actingMargin.toNanos();
  }

  /**
   * The clock jumped ({@link ClockJumps}): the lease, counted on a clock that may have stood still,
   * is not trusted until the answer to a heartbeat sent from now on arrives.
   */
  void distrust() {
    trustFromSequence = lastSentSequence + 1;
  }

  private boolean trusted() {
    return trustFromSequence == 0;
  }

  /** Call just before sending a heartbeat; returns the sequence number to put in it. */
  long beforeHeartbeat(long nowNanos) {
    lastSentSequence = lease.beforeSend(nowNanos);
    return lastSentSequence;
  }

  /**
   * Applies the leader's answer to heartbeat {@code sequence} ({@link CoreappLease#onAnswer}), with
   * the shard count it names for a primary; returns the epochs to close and release.
   */
  List<Long> onAnswer(
      long sequence,
      Optional<Assignment> primary,
      int shardCount,
      Duration leaseDuration,
      List<Long> releaseEpochs) {
    List<Long> release = lease.onAnswer(sequence, primary, leaseDuration, releaseEpochs);
    if (!trusted() && sequence >= trustFromSequence) {
      trustFromSequence = 0;
    }
    // An epoch is granted under one shard count for good; an answer the lease ignored as stale
    // names another epoch, and its count is not this one's.
    if (primary.isPresent() && lease.assigned().equals(primary)) {
      this.shardCount = shardCount;
    }
    return release;
  }

  /** Stops acting on the held epoch for good (graceful shutdown); returns it to release. */
  Optional<Long> relinquish() {
    return lease.relinquish();
  }

  /** Whether a lease of {@code leaseDuration} leaves no time at all to act. */
  boolean leavesNoTimeToAct(Duration leaseDuration) {
    return leaseDuration.toNanos() <= marginNanos;
  }

  /** The end of the lease less the acting margin; meaningful while one is held. */
  long actingDeadlineNanos() {
    return lease.leaseExpiresAtNanos() - marginNanos;
  }

  /** Makes the session match the lease: open it while the coreapp may act, close it otherwise. */
  Step reconcile(OptionalLong heldEpoch, long nowNanos) {
    if (!trusted()) {
      return new Step(
          heldEpoch.isPresent()
              ? Optional.of("clock jump: waiting for a fresh answer")
              : Optional.empty(),
          Optional.empty(),
          OptionalLong.empty());
    }
    Optional<Assignment> a = lease.active(nowNanos + marginNanos);
    if (a.isEmpty()) {
      return new Step(
          heldEpoch.isPresent() ? Optional.of("lease lapsed") : Optional.empty(),
          Optional.empty(),
          OptionalLong.empty());
    }
    long epoch = a.get().epoch();
    boolean stale = heldEpoch.isPresent() && heldEpoch.getAsLong() != epoch;
    return new Step(
        stale ? Optional.of("epoch changed to " + epoch) : Optional.empty(),
        heldEpoch.isEmpty() || stale
            ? Optional.of(new Open(a.get(), shardCount))
            : Optional.empty(),
        OptionalLong.of(actingDeadlineNanos()));
  }

  /**
   * What the handlers may act on at {@code nowNanos}: the held session, if the lease lets the
   * coreapp act on its epoch.
   */
  Optional<Acting> acting(Optional<Held> session, long nowNanos) {
    if (!trusted()) {
      return Optional.empty();
    }
    Optional<Assignment> a = lease.active(nowNanos + marginNanos);
    if (a.isEmpty() || session.isEmpty() || session.get().epoch() != a.get().epoch()) {
      return Optional.empty();
    }
    Held s = session.get();
    return Optional.of(
        new Acting(
            a.get().shard(),
            s.shardCount(),
            s.epoch(),
            s.sessionId(),
            actingDeadlineNanos(),
            s.channel()));
  }
}
