package io.multiconnect.common.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The coreapp's half of the lease rules: it acts as primary only while its lease, counted from the
 * moment it <em>sent</em> the acknowledged heartbeat on its own monotonic clock, has not run out. A
 * late acknowledgement therefore never stretches a lease past {@code lease} from its send time.
 *
 * <p>Answers older than the newest one applied are ignored, and an epoch once released is never
 * taken back. Not thread-safe: the coreapp's heartbeat loop owns it.
 */
public final class CoreappLease {

  /** How many unanswered heartbeats' send times are remembered. */
  static final int MAX_OUTSTANDING = 64;

  private final Map<Long, Long> sentAtNanosBySequence =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
          return size() > MAX_OUTSTANDING;
        }
      };

  private long nextSequence = 1;
  private long newestAppliedSequence;
  private long highestReleasedEpoch;
  private Assignment held;

  /** Monotonic deadline of the lease on {@link #held}; meaningful only while held != null. */
  private long leaseExpiresAtNanos;

  /** Call just before sending a heartbeat; returns the sequence number to put in it. */
  public long beforeSend(long nowNanos) {
    long seq = nextSequence++;
    sentAtNanosBySequence.put(seq, nowNanos);
    return seq;
  }

  /**
   * Applies the leader's answer to heartbeat {@code sequence}. Returns the epochs the coreapp has
   * just stopped acting on and must confirm with a release call (after closing its upstream
   * session).
   */
  public List<Long> onAnswer(
      long sequence, Optional<Assignment> primary, Duration lease, List<Long> releaseEpochs) {
    Long sentAt = sentAtNanosBySequence.remove(sequence);
    if (sentAt == null || sequence <= newestAppliedSequence) {
      return List.of();
    }
    newestAppliedSequence = sequence;
    List<Long> toRelease = new ArrayList<>();
    for (long epoch : releaseEpochs) {
      if (held != null && held.epoch() == epoch) {
        held = null;
      }
      highestReleasedEpoch = Math.max(highestReleasedEpoch, epoch);
      toRelease.add(epoch);
    }
    Optional<Assignment> granted = primary.filter(a -> a.epoch() > highestReleasedEpoch);
    if (granted.isEmpty()) {
      held = null;
    } else if (held == null || held.epoch() != granted.get().epoch()) {
      held = granted.get();
      leaseExpiresAtNanos = sentAt + lease.toNanos();
    } else if (!lease.isZero()) {
      leaseExpiresAtNanos = Math.max(leaseExpiresAtNanos, sentAt + lease.toNanos());
    }
    return toRelease;
  }

  /** Stops acting on the held epoch for good (graceful shutdown); returns it to release. */
  public Optional<Long> relinquish() {
    if (held == null) {
      return Optional.empty();
    }
    long epoch = held.epoch();
    highestReleasedEpoch = Math.max(highestReleasedEpoch, epoch);
    held = null;
    return Optional.of(epoch);
  }

  /** The assignment the coreapp may act on at {@code nowNanos}, if its lease is valid. */
  public Optional<Assignment> active(long nowNanos) {
    return held != null && nowNanos - leaseExpiresAtNanos < 0
        ? Optional.of(held)
        : Optional.empty();
  }

  /** The assignment last granted, valid lease or not (for status reporting). */
  public Optional<Assignment> assigned() {
    return Optional.ofNullable(held);
  }

  /** Deadline of the current lease; meaningful when {@link #assigned()} is present. */
  public long leaseExpiresAtNanos() {
    return leaseExpiresAtNanos;
  }
}
