package io.multiconnect.master.core;

import io.multiconnect.common.lease.Revocation;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The leader's soft state about time: when it last heard each coreapp, when it became leader, and
 * when it first saw each pending revocation and settings decrease. Nothing here is logged; a new
 * leader starts from nothing and counts every silence from its own election (the grace period).
 *
 * <p>All times are {@link System#nanoTime()}-style monotonic nanoseconds from the caller's clock.
 * Not thread-safe: the owner ({@link Coordinator}) serialises access.
 */
final class FailureDetector {

  /** Start of this node's leadership; silences are counted from no earlier than this. */
  private final long leaderSinceNanos;

  /**
   * Receipt time of the last heartbeat from each coreapp process (a key naming the coreapp and its
   * incarnation), on the leader's clock.
   */
  private final Map<String, Long> lastHeardNanos = new HashMap<>();

  /** When this node first saw each pending revocation, by epoch. */
  private final Map<Long, Long> revocationSeenNanos = new HashMap<>();

  /**
   * When this node first saw the current settings while the lease bound is unsettled; empty when
   * settled. Reset by every settings change: a lease granted under the settings before it may have
   * been granted just before the change, so the wait starts again.
   */
  private OptionalLong leaseBoundSeenNanos = OptionalLong.empty();

  /** The settings version {@link #leaseBoundSeenNanos} was seen for. */
  private long leaseBoundSettingsVersion = -1;

  FailureDetector(long leaderSinceNanos) {
    this.leaderSinceNanos = leaderSinceNanos;
  }

  /**
   * Records a heartbeat's receipt; returns whether the process was not healthy ({@link #isHealthy}
   * in {@code window}) just before it.
   */
  boolean heard(String process, long nowNanos, Duration window) {
    boolean wasHealthy = isHealthy(process, nowNanos, window);
    lastHeardNanos.merge(process, nowNanos, Math::max);
    return !wasHealthy;
  }

  /** Forgets every process but {@code registered}. */
  void retainHeard(Set<String> registered) {
    lastHeardNanos.keySet().retainAll(registered);
  }

  /** Records first sightings of revocations and of an unsettled lease bound in {@code state}. */
  void observe(ClusterState state, long nowNanos) {
    Set<Long> pending =
        state.revocations().stream().map(Revocation::epoch).collect(Collectors.toSet());
    revocationSeenNanos.keySet().retainAll(pending);
    for (long epoch : pending) {
      revocationSeenNanos.putIfAbsent(epoch, nowNanos);
    }
    boolean unsettled =
        state.leaseBoundInterval().compareTo(state.settings().unhealthyInterval()) > 0;
    if (!unsettled) {
      leaseBoundSeenNanos = OptionalLong.empty();
    } else if (leaseBoundSeenNanos.isEmpty()
        || leaseBoundSettingsVersion != state.settingsVersion()) {
      leaseBoundSeenNanos = OptionalLong.of(nowNanos);
      leaseBoundSettingsVersion = state.settingsVersion();
    }
  }

  /** Last heartbeat receipt since this leadership began, if any. */
  OptionalLong lastHeardNanos(String process) {
    Long t = lastHeardNanos.get(process);
    return t == null || t < leaderSinceNanos ? OptionalLong.empty() : OptionalLong.of(t);
  }

  /** The moment from which the coreapp's current silence is counted. */
  long silenceStartNanos(String process) {
    return Math.max(leaderSinceNanos, lastHeardNanos.getOrDefault(process, Long.MIN_VALUE));
  }

  /** Heard within {@code window} before now, during this leadership. */
  boolean isHealthy(String process, long nowNanos, Duration window) {
    OptionalLong heard = lastHeardNanos(process);
    return heard.isPresent() && nowNanos - heard.getAsLong() < window.toNanos();
  }

  /** The moment a coreapp silent since its last heartbeat counts as dead. */
  long deadAtNanos(String process, Duration window) {
    return silenceStartNanos(process) + window.toNanos();
  }

  /** The moment a pending revocation's lease has surely run out. */
  long revocationExpiresAtNanos(long epoch, Duration window) {
    long seen = revocationSeenNanos.getOrDefault(epoch, Long.MAX_VALUE - window.toNanos());
    return Math.max(leaderSinceNanos, seen) + window.toNanos();
  }

  /** The moment every lease granted under the unsettled lease bound has run out, if unsettled. */
  OptionalLong leaseBoundSettlesAtNanos(Duration window) {
    if (leaseBoundSeenNanos.isEmpty()) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(
        Math.max(leaderSinceNanos, leaseBoundSeenNanos.getAsLong()) + window.toNanos());
  }
}
