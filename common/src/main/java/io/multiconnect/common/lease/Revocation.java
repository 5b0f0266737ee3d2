package io.multiconnect.common.lease;

/**
 * An assignment taken away while its holder may still be acting on it (a shard-count change, a move
 * or a drain). It stays in the masters' state until the holder confirms it stopped (a release) or
 * the leader knows its lease has surely run out (the revocation expires). No shard whose recipients
 * overlap a pending revocation gets a new primary.
 *
 * @param shardCount the shard count under which {@code shard} was assigned, which fixes the set of
 *     recipients the holder may still be serving
 */
public record Revocation(String coreappId, int shard, int shardCount, long epoch) {

  /**
   * Whether shard {@code otherShard} of {@code otherCount} shares recipients with this revocation.
   * Shard counts are powers of two, so two shards overlap exactly when they agree modulo the
   * smaller count.
   */
  public boolean overlaps(int otherShard, int otherCount) {
    int common = Math.min(shardCount, otherCount);
    return shard % common == otherShard % common;
  }
}
