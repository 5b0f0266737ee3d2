package io.multiconnect.master.core;

import io.multiconnect.common.lease.Assignment;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The leader's answer to one heartbeat.
 *
 * @param unknownCoreapp the coreapp is not registered and must register first
 * @param primary the assignment the coreapp holds, if any
 * @param lease how long the coreapp may act on {@code primary}, from the moment it sent the
 *     heartbeat; {@link Duration#ZERO} when no lease is granted (secondary, or withheld because the
 *     leader is about to move the shard)
 * @param releaseEpochs revoked epochs the coreapp must stop acting on and confirm
 * @param state the state the answer was computed from
 */
public record HeartbeatDecision(
    boolean unknownCoreapp,
    Optional<Assignment> primary,
    Duration lease,
    List<Long> releaseEpochs,
    ClusterState state) {}
