package io.multiconnect.dataplane.coreapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.clock.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuietTimeTest {
  private static final Duration SILENCE = Duration.ofMillis(400);
  private final FakeClock clock = new FakeClock(1_000_000_000L);
  private final QuietTime quiet = new QuietTime(SILENCE, clock.getAsLong());

  @Test
  void atStartASessionAPreviousRunLeftOpenMayStillBeCountedForOneSilence() {
    assertEquals(SILENCE.toNanos(), quiet.waitNanos(clock.getAsLong()));
    clock.advance(SILENCE);
    assertEquals(0, quiet.waitNanos(clock.getAsLong()));
  }

  @Test
  void anUnconfirmedCloseIsQuietOneSilenceLater() {
    clock.advance(Duration.ofSeconds(5));
    quiet.opening();
    clock.advance(Duration.ofSeconds(1));
    long closedAt = clock.getAsLong();
    quiet.unconfirmed(closedAt);
    assertEquals(closedAt + SILENCE.toNanos(), quiet.quietAtNanos());
    clock.advance(SILENCE.minusNanos(1));
    assertTrue(quiet.waitNanos(clock.getAsLong()) > 0, "one nanosecond early");
  }

  @Test
  void aConfirmedCloseOfTheLastSessionLeavesOnlyTheBoundOfEarlierOnes() {
    clock.advance(Duration.ofSeconds(5)); // the start's bound is long past
    long before = quiet.quietAtNanos();
    QuietTime.Mark mark = quiet.opening();
    quiet.unconfirmed(clock.getAsLong());
    assertTrue(quiet.closeConfirmed(mark));
    assertEquals(before, quiet.quietAtNanos());
    assertTrue(quiet.waitNanos(clock.getAsLong()) <= 0, "releases may go at once");
  }

  @Test
  void aConfirmedCloseOfAnOlderSessionChangesNothing() {
    QuietTime.Mark first = quiet.opening();
    clock.advance(Duration.ofSeconds(1));
    quiet.unconfirmed(clock.getAsLong()); // the first one closed, not confirmed yet
    quiet.opening(); // a second one opened
    clock.advance(Duration.ofSeconds(1));
    quiet.unconfirmed(clock.getAsLong()); // and broke
    long bound = quiet.quietAtNanos();
    assertFalse(quiet.closeConfirmed(first), "the second session may still be counted open");
    assertEquals(bound, quiet.quietAtNanos());
  }
}
