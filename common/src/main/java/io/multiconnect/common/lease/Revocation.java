package io.multiconnect.common.lease;

import io.multiconnect.common.shard.Sharding;

/**
 * An assignment taken away while its holder may still be acting on it (a shard-count change, a move
 * or a drain). It stays in the masters' state until the holder confirms it stopped (a release) or
 * the leader knows its lease has surely run out (the revocation expires). No shard whose recipients
 * overlap a pending revocation gets a new primary.
 *
 * @param incarnation the process of {@code coreappId} that held the epoch: only its release counts
 * @param shardCount the shard count under which {@code shard} was assigned, which fixes the set of
 *     recipients the holder may still be serving
 */
public record Revocation(
    String coreappId, String incarnation, int shard, int shardCount, long epoch) {

  /** Whether shard {@code otherShard} of {@code otherCount} shares recipients with this one. */
  public boolean overlaps(int otherShard, int otherCount) {
    return Sharding.shareRecipients(shard, shardCount, otherShard, otherCount);
  }
}
