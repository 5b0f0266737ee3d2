package io.multiconnect.dataplane.coreapp;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What a coreapp's handlers may act on: shard {@code shard} of {@code shardCount} at {@code epoch},
 * through the upstream session {@code sessionId} (null until the upstream accepted it), until
 * {@code deadlineNanos} on the coreapp's clock. Its calls to the upstream go over {@code channel},
 * the session's own connection, which is reset when the coreapp stops acting on it ({@link
 * UpstreamLink}). Published by the loop, read by any thread.
 */
record Acting(
    int shard, int shardCount, long epoch, String sessionId, long deadlineNanos, Channel channel) {

  /** Whether {@code nowNanos} is still before the acting deadline. */
  boolean mayActAt(long nowNanos) {
    return nowNanos - deadlineNanos < 0;
  }

  /**
   * How long an upstream call made at {@code nowNanos} may take: at most {@code cap}, and never
   * past the acting deadline, so a call stuck in retransmissions or behind a pause is abandoned by
   * then instead of reaching the upstream later still (docs/safety.md, the timing budget).
   */
  long callTimeoutNanos(long nowNanos, Duration cap) {
    return Math.max(0, Math.min(cap.toNanos(), deadlineNanos - nowNanos));
  }

  /**
   * A stub for one call to the upstream made at {@code nowNanos}, on the session's connection, with
   * the deadline {@link #callTimeoutNanos} gives; answered on the transport's thread, so its
   * callbacks only answer the caller.
   */
  UpstreamGrpc.UpstreamFutureStub upstream(long nowNanos, Duration cap) {
    return UpstreamGrpc.newFutureStub(channel)
        .withExecutor(MoreExecutors.directExecutor())
        .withDeadline(Deadline.after(callTimeoutNanos(nowNanos, cap), TimeUnit.NANOSECONDS));
  }
}
