package io.multiconnect.common.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ShardCountsTest {

  @Test
  void thePowersOfTwoUpTo32AreAllowed() {
    assertEquals(List.of(1, 2, 4, 8, 16, 32), ShardCounts.all());
    for (int n : new int[] {0, -1, 3, 6, 12, 31, 33, 64, Integer.MIN_VALUE}) {
      assertFalse(ShardCounts.isAllowed(n), Integer.toString(n));
    }
  }

  @Test
  void theListInMessagesIsTheAllowedCounts() {
    assertEquals(
        ShardCounts.all().stream().map(String::valueOf).collect(Collectors.joining(", ")),
        ShardCounts.LIST);
  }
}
