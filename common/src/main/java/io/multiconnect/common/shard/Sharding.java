package io.multiconnect.common.shard;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;

/**
 * Which shard a recipient belongs to: {@code murmur3_x86_32(wa_id as UTF-8, seed 0)} taken as an
 * unsigned number, modulo the shard count. Because shard counts are powers of two, growing the
 * count only splits shards: {@code shardOf(r, 2N)} is {@code shardOf(r, N)} or that plus N. Test
 * vectors for other clients are in docs/api.md.
 */
public final class Sharding {
  private static final HashFunction MURMUR3 = Hashing.murmur3_32_fixed(0);

  private Sharding() {}

  public static int shardOf(String recipient, int shardCount) {
    if (shardCount < 1) {
      throw new IllegalArgumentException("shardCount must be positive, got " + shardCount);
    }
    long hash =
        Integer.toUnsignedLong(MURMUR3.hashString(recipient, StandardCharsets.UTF_8).asInt());
    return (int) (hash % shardCount);
  }

  /**
   * Whether shard {@code a} of {@code countA} and shard {@code b} of {@code countB} share
   * recipients. Shard counts are powers of two, so they do exactly when they agree modulo the
   * smaller count.
   */
  public static boolean shareRecipients(int a, int countA, int b, int countB) {
    int common = Math.min(countA, countB);
    return a % common == b % common;
  }
}
