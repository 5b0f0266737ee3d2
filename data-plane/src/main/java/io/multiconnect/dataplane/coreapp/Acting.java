package io.multiconnect.dataplane.coreapp;

/**
 * What a coreapp's handlers may act on: shard {@code shard} of {@code shardCount} at {@code epoch},
 * through the upstream session {@code sessionId} (null until the upstream accepted it), until
 * {@code deadlineNanos} on the coreapp's clock. Published by the loop, read by any thread.
 */
record Acting(int shard, int shardCount, long epoch, String sessionId, long deadlineNanos) {

  /** Whether {@code nowNanos} is still before the acting deadline. */
  boolean mayActAt(long nowNanos) {
    return nowNanos - deadlineNanos < 0;
  }
}
