package io.multiconnect.common.lease;

/**
 * The primary of one shard. {@code epoch} is the fencing token: unique across the cluster's history
 * and increasing with every assignment.
 */
public record Assignment(int shard, String coreappId, long epoch) {}
