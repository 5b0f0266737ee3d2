package io.multiconnect.dataplane.coreapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The coreapp's half of the timing budget: its margin, and calls that never outlive it. */
class TimingBudgetTest {
  private static final Map<String, String> BASE =
      Map.of(
          "MC_COREAPP_ID", "c1",
          "MC_COREAPP_ADDRESS", "127.0.0.1:9001",
          "MC_MASTERS", "127.0.0.1:9000",
          "MC_UPSTREAM", "127.0.0.1:9800");

  private static CoreappConfig config(Map<String, String> extra) {
    java.util.HashMap<String, String> env = new java.util.HashMap<>(BASE);
    env.putAll(extra);
    return CoreappConfig.fromEnv(env);
  }

  @Test
  void theCoreappStopsActingTheUpstreamsSilencePlusTheDelayAllowanceBeforeItsLeaseEnds() {
    assertEquals(Duration.ofMillis(500), config(Map.of()).actingMargin());
    assertEquals(
        Duration.ofMillis(950),
        config(Map.of("MC_UPSTREAM_SILENCE_MS", "700", "MC_UPSTREAM_DELAY_MS", "250"))
            .actingMargin());
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class, () -> config(Map.of("MC_UPSTREAM_DELAY_MS", "soon")));
    assertEquals("MC_UPSTREAM_DELAY_MS: must be a number of milliseconds", bad.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> config(Map.of("MC_UPSTREAM_DELAY_MS", "-1")));
  }

  @Test
  void anUpstreamCallNeverOutlivesTheActingDeadline() {
    Acting a = new Acting(0, 1, 7, "s1", 1_000_000_000L, null);
    Duration cap = Duration.ofSeconds(2);
    assertEquals(cap.toNanos(), a.callTimeoutNanos(-5_000_000_000L, cap), "far from the deadline");
    assertEquals(300_000_000L, a.callTimeoutNanos(700_000_000L, cap), "the deadline comes first");
    assertEquals(0, a.callTimeoutNanos(1_200_000_000L, cap), "past it: no time at all");
  }
}
