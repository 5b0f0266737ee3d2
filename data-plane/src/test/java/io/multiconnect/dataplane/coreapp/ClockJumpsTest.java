package io.multiconnect.dataplane.coreapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClockJumpsTest {
  private static final long MS = 1_000_000L;
  private final ClockJumps jumps = new ClockJumps(Duration.ofMillis(250), Duration.ofSeconds(1));

  @Test
  void ticksOnTimeWithClocksInStepAreQuiet() {
    assertEquals(Optional.empty(), jumps.tick(0, 5_000 * MS, 0));
    for (int i = 1; i <= 10; i++) {
      // 10 % rate difference and 100 ms of scheduling jitter stay within the tolerance.
      assertEquals(Optional.empty(), jumps.tick(i * 300 * MS, 5_000 * MS + i * 270 * MS, 200 * MS));
    }
  }

  @Test
  void aMonotonicClockThatStoodStillIsAJump() {
    jumps.tick(0, 0, 0);
    // A suspended host: 10 s of real time, 1 ms on the monotonic clock.
    Optional<String> j = jumps.tick(1 * MS, 10_000 * MS, 200 * MS);
    assertEquals(
        Optional.of("the wall clock moved 10000 ms while the monotonic clock moved 1 ms"), j);
    assertEquals(Optional.empty(), jumps.tick(201 * MS, 10_200 * MS, 200 * MS), "then in step");
  }

  @Test
  void aLateTickIsAJump() {
    jumps.tick(0, 0, 0);
    assertEquals(Optional.empty(), jumps.tick(1_000 * MS, 1_000 * MS, 200 * MS), "a hiccup");
    Optional<String> j = jumps.tick(3_000 * MS, 3_000 * MS, 200 * MS);
    assertTrue(j.orElseThrow().startsWith("the loop ran 1800 ms late"), j.toString());
  }
}
