package io.multiconnect.common.shard;

import java.util.List;
import java.util.stream.IntStream;

/**
 * The shard counts a cluster may have: the powers of two from 1 to {@value #MAX}, as in the
 * original. Powers of two make growing the count a split ({@link Sharding}). The one definition
 * behind the masters' validation, the webapp's, mcctl's help and the demo launcher's check.
 */
public final class ShardCounts {
  /** The largest shard count. */
  public static final int MAX = 32;

  /**
   * The allowed counts as messages and help texts write them. A compile-time constant, so that
   * annotations (mcctl's help) can use it; ShardCountsTest keeps it equal to {@link #all()}.
   */
  public static final String LIST = "1, 2, 4, 8, 16, 32";

  private ShardCounts() {}

  public static boolean isAllowed(int shardCount) {
    return shardCount >= 1 && shardCount <= MAX && Integer.bitCount(shardCount) == 1;
  }

  /** Every allowed count, ascending. */
  public static List<Integer> all() {
    return IntStream.rangeClosed(1, MAX).filter(ShardCounts::isAllowed).boxed().toList();
  }
}
