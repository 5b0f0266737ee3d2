package io.multiconnect.common.lease;

import java.time.Duration;

/**
 * How long a lease is, given the failure-detection interval. The safety argument (docs/safety.md)
 * needs {@code lease * (1 + drift) <= unhealthy * (1 - drift)} for the largest clock-rate drift
 * {@code drift} between any coreapp and any master; with the lease at 4/5 of {@code
 * unhealthy_interval}, that holds for every drift up to 1/9 (11 %), far beyond what quartz clocks
 * and NTP slewing produce (well under 0.1 %).
 */
public final class LeaseRules {

  /** Lease length as a fraction of unhealthy_interval: numerator / denominator. */
  static final long LEASE_NUMERATOR = 4;

  static final long LEASE_DENOMINATOR = 5;

  /** The largest clock-rate drift between two nodes that the lease length tolerates. */
  public static final double MAX_CLOCK_RATE_DRIFT = 1.0 / 9;

  private LeaseRules() {}

  /** The lease a primary gets from one acknowledged heartbeat, counted from its send time. */
  public static Duration leaseDuration(Duration unhealthyInterval) {
    return unhealthyInterval.multipliedBy(LEASE_NUMERATOR).dividedBy(LEASE_DENOMINATOR);
  }
}
