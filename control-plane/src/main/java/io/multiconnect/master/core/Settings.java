package io.multiconnect.master.core;

import io.multiconnect.common.lease.LeaseRules;
import java.time.Duration;
import java.util.Optional;

/**
 * The replicated cluster settings. Names follow the original client: {@code heartbeat_interval} and
 * {@code unhealthy_interval}.
 *
 * @param heartbeatInterval how often a coreapp heartbeats to the masters
 * @param unhealthyInterval how long the leader hears nothing from a coreapp before it counts it
 *     dead and moves its shard; also bounds every lease (see {@link LeaseRules})
 */
public record Settings(Duration heartbeatInterval, Duration unhealthyInterval) {

  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_UNHEALTHY_INTERVAL = Duration.ofSeconds(5);
  public static final Settings DEFAULTS =
      new Settings(DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_UNHEALTHY_INTERVAL);

  /** Bounds: a heartbeat faster than this floods the leader; slower than the maximum is useless. */
  public static final Duration MIN_HEARTBEAT_INTERVAL = Duration.ofMillis(50);

  public static final Duration MAX_HEARTBEAT_INTERVAL = Duration.ofSeconds(60);

  /**
   * unhealthy_interval must cover at least this many heartbeats, so one lost packet is no failover.
   */
  public static final int MIN_HEARTBEATS_PER_UNHEALTHY_INTERVAL = 3;

  public static final Duration MAX_UNHEALTHY_INTERVAL = Duration.ofMinutes(10);

  /** Returns why these settings are unacceptable, naming the field, or empty when they are fine. */
  public Optional<Rejection> validate() {
    if (heartbeatInterval.compareTo(MIN_HEARTBEAT_INTERVAL) < 0
        || heartbeatInterval.compareTo(MAX_HEARTBEAT_INTERVAL) > 0) {
      return Optional.of(
          new Rejection(
              "heartbeat_interval",
              "must be between "
                  + MIN_HEARTBEAT_INTERVAL.toMillis()
                  + " ms and "
                  + MAX_HEARTBEAT_INTERVAL.toMillis()
                  + " ms, got "
                  + heartbeatInterval.toMillis()
                  + " ms"));
    }
    Duration minUnhealthy = heartbeatInterval.multipliedBy(MIN_HEARTBEATS_PER_UNHEALTHY_INTERVAL);
    if (unhealthyInterval.compareTo(minUnhealthy) < 0) {
      return Optional.of(
          new Rejection(
              "unhealthy_interval",
              "must be at least "
                  + MIN_HEARTBEATS_PER_UNHEALTHY_INTERVAL
                  + " x heartbeat_interval ("
                  + minUnhealthy.toMillis()
                  + " ms), got "
                  + unhealthyInterval.toMillis()
                  + " ms"));
    }
    if (unhealthyInterval.compareTo(MAX_UNHEALTHY_INTERVAL) > 0) {
      return Optional.of(
          new Rejection(
              "unhealthy_interval",
              "must be at most "
                  + MAX_UNHEALTHY_INTERVAL.toMillis()
                  + " ms, got "
                  + unhealthyInterval.toMillis()
                  + " ms"));
    }
    return Optional.empty();
  }

  /**
   * The timing budget for a coreapp that stops acting {@code actingMargin} before its lease ends
   * (its {@code MC_UPSTREAM_SILENCE_MS + MC_UPSTREAM_DELAY_MS}): what is left of a lease must
   * outlast one heartbeat interval, or the coreapp could never act between renewals. Returns why
   * not, or empty.
   */
  public Optional<String> budgetProblem(String coreappId, Duration actingMargin) {
    Duration lease = LeaseRules.leaseDuration(unhealthyInterval);
    Duration left = lease.minus(actingMargin);
    if (left.compareTo(heartbeatInterval) > 0) {
      return Optional.empty();
    }
    return Optional.of(
        "a lease of "
            + lease.toMillis()
            + " ms (unhealthy_interval "
            + unhealthyInterval.toMillis()
            + " ms) leaves coreapp '"
            + coreappId
            + "' "
            + Math.max(0, left.toMillis())
            + " ms to act after it stops "
            + actingMargin.toMillis()
            + " ms early (MC_UPSTREAM_SILENCE_MS + MC_UPSTREAM_DELAY_MS); it needs more than"
            + " heartbeat_interval ("
            + heartbeatInterval.toMillis()
            + " ms)");
  }
}
