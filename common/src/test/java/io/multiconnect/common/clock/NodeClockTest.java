package io.multiconnect.common.clock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeClockTest {
  private final AtomicLong machine = new AtomicLong(1_000_000_000L);
  private final Instant wall = Instant.parse("2026-11-23T12:00:00Z");
  private final NodeClock clock = new NodeClock(machine::get, () -> wall);

  private void advance(long nanos) {
    machine.addAndGet(nanos);
  }

  @Test
  void unskewedItReadsTheMachineClocks() {
    advance(123);
    assertEquals(machine.get(), clock.nanoTime());
    assertEquals(wall, clock.now());
    assertEquals(machine.get() + 500, clock.machineNanosAt(clock.nanoTime() + 500));
  }

  @Test
  void aSkewedClockRunsAtItsRateAndStaysContinuous() {
    advance(1_000);
    long before = clock.nanoTime();
    clock.skew(0.1, Duration.ZERO);
    assertEquals(before, clock.nanoTime(), "no jump when the rate changes");
    advance(1_000_000);
    assertEquals(before + 1_100_000, clock.nanoTime());
    clock.skew(-0.1, Duration.ZERO);
    advance(1_000_000);
    assertEquals(before + 1_100_000 + 900_000, clock.nanoTime());
    clock.skew(0, Duration.ZERO);
    advance(1_000);
    assertEquals(before + 2_000_000 + 1_000, clock.nanoTime(), "keeps what it gained and lost");
  }

  @Test
  void machineTimeOfAReadingFollowsTheCurrentRate() {
    clock.skew(-0.2, Duration.ZERO);
    long deadline = clock.nanoTime() + 800_000; // 800 us on a clock running at 0.8
    assertEquals(machine.get() + 1_000_000, clock.machineNanosAt(deadline));
    advance(1_000_000);
    assertEquals(deadline, clock.nanoTime());
  }

  @Test
  void theWallClockIsSteppedByTheOffset() {
    clock.skew(0, Duration.ofMinutes(-10));
    assertEquals(wall.minus(Duration.ofMinutes(10)), clock.now());
    assertEquals(Duration.ofMinutes(-10), clock.wallOffset());
  }

  @Test
  void listenersRunAfterEverySkew() {
    AtomicInteger calls = new AtomicInteger();
    clock.onSkew(calls::incrementAndGet);
    clock.skew(0.05, Duration.ZERO);
    clock.skew(0, Duration.ZERO);
    assertEquals(2, calls.get());
  }

  @Test
  void ratesBeyondTheLimitAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> clock.skew(0.6, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> clock.skew(Double.NaN, Duration.ZERO));
    assertEquals(0, clock.rate());
  }

  @Test
  void aControlFileSkewsTheClockAtStartAndWhenItChanges(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("clock");
    Files.writeString(file, "rate=0.05\n");
    NodeClock controlled = ClockControl.fromEnvironment(Map.of(ClockControl.ENV, file.toString()));
    assertEquals(0.05, controlled.rate());
    Files.writeString(file, "rate=-0.05 wall_offset_ms=1000\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> controlled.rate() == -0.05);
    assertEquals(Duration.ofSeconds(1), controlled.wallOffset());
    Files.delete(file);
    await().atMost(Duration.ofSeconds(10)).until(() -> controlled.rate() == 0);
    assertEquals(Duration.ZERO, controlled.wallOffset());
  }

  @Test
  void controlFilesParse() {
    assertEquals(
        new ClockControl.Skew(0.08, Duration.ofMillis(-30_000)),
        ClockControl.parse("rate=0.08 wall_offset_ms=-30000"));
    assertEquals(new ClockControl.Skew(-0.05, Duration.ZERO), ClockControl.parse(" rate=-0.05\n"));
    assertEquals(
        "unknown key 'speed'",
        assertThrows(IllegalArgumentException.class, () -> ClockControl.parse("speed=2"))
            .getMessage());
    assertEquals(
        "rate: not a number: 'fast'",
        assertThrows(IllegalArgumentException.class, () -> ClockControl.parse("rate=fast"))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClockControl.parse("rate=0.9"));
    assertThrows(IllegalArgumentException.class, () -> ClockControl.parse("rate"));
  }
}
