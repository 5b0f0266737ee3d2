package io.multiconnect.common.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The test vectors docs/api.md publishes for other clients, and the split property. */
class ShardingTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "15551234567, 0, 0, 2, 2, 10, 26",
    "447700900123, 0, 0, 2, 6, 14, 14",
    "16505550123, 0, 1, 1, 5, 13, 29",
    "4915112345678, 0, 1, 3, 7, 15, 31",
    "5511912345678, 0, 0, 2, 6, 14, 30",
    "919812345678, 0, 0, 0, 4, 12, 28",
    "hello, 0, 1, 3, 7, 7, 7"
  })
  void matchesThePublishedVectors(String waId, int s1, int s2, int s4, int s8, int s16, int s32) {
    int[] expected = {s1, s2, s4, s8, s16, s32};
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], Sharding.shardOf(waId, 1 << i), waId + " with " + (1 << i));
    }
  }

  @Test
  void doublingTheCountSplitsEveryShardInTwo() {
    for (int i = 0; i < 2_000; i++) {
      String waId = "1555" + i;
      for (int n = 1; n < ShardCounts.MAX; n *= 2) {
        int before = Sharding.shardOf(waId, n);
        int after = Sharding.shardOf(waId, 2 * n);
        assertTrue(after == before || after == before + n, waId + ": " + before + " -> " + after);
      }
    }
  }

  @Test
  void refusesANonPositiveCount() {
    assertThrows(IllegalArgumentException.class, () -> Sharding.shardOf("1555", 0));
  }
}
