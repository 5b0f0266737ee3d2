package io.multiconnect.master.core;

import io.multiconnect.common.lease.Assignment;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The leader's answer to one heartbeat.
 *
 * @param refusal why nothing is granted to the sender, if it is not the registered process
 * @param primary the assignment the coreapp holds, if any
 * @param lease how long the coreapp may act on {@code primary}, from the moment it sent the
 *     heartbeat; {@link Duration#ZERO} when no lease is granted (secondary, or withheld because the
 *     leader is about to move the shard)
 * @param releaseEpochs revoked epochs the coreapp must stop acting on and confirm
 * @param state the state the answer was computed from
 */
public record HeartbeatDecision(
    Refusal refusal,
    Optional<Assignment> primary,
    Duration lease,
    List<Long> releaseEpochs,
    ClusterState state) {

  /** Why a heartbeat's sender gets nothing. */
  public enum Refusal {
    /** It is the registered process. */
    NONE,
    /** No process is registered under its id: it must register first. */
    UNKNOWN_COREAPP,
    /** Another process registered under its id after it: it must stop acting and exit. */
    SUPERSEDED
  }

  /** An answer that grants nothing, for {@code refusal}. */
  static HeartbeatDecision refused(Refusal refusal, ClusterState state) {
    return new HeartbeatDecision(refusal, Optional.empty(), Duration.ZERO, List.of(), state);
  }
}
