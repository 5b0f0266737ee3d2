package io.multiconnect.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.clock.FakeClock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
  private final FakeClock clock = new FakeClock(1_000_000_000L);
  private final LoginThrottle throttle = new LoginThrottle(clock);

  private void fail(String key, int times) {
    for (int i = 0; i < times; i++) {
      throttle.failed(key);
    }
  }

  @Test
  void theFirstFailuresCostNothingThenEachWaitDoubles() {
    fail("user a", LoginThrottle.FREE_FAILURES - 1);
    assertEquals(Optional.empty(), throttle.waitFor("user a"));
    fail("user a", 1);
    assertEquals(Optional.of(Duration.ofSeconds(1)), throttle.waitFor("user a"));
    clock.advance(Duration.ofMillis(400));
    assertEquals(Optional.of(Duration.ofMillis(600)), throttle.waitFor("user a"));
    clock.advance(Duration.ofMillis(600));
    assertEquals(Optional.empty(), throttle.waitFor("user a"));
    fail("user a", 1);
    assertEquals(Optional.of(Duration.ofSeconds(2)), throttle.waitFor("user a"));
    fail("user a", 1);
    assertEquals(Optional.of(Duration.ofSeconds(4)), throttle.waitFor("user a"));
    assertEquals(Optional.empty(), throttle.waitFor("user b"), "keys are counted apart");
  }

  @Test
  void theWaitStopsGrowingAtTheMaximum() {
    fail("k", LoginThrottle.FREE_FAILURES + 40);
    assertEquals(Optional.of(LoginThrottle.MAX_WAIT), throttle.waitFor("k"));
  }

  @Test
  void aSuccessClearsTheCountAndQuietTimeForgetsIt() {
    fail("k", LoginThrottle.FREE_FAILURES);
    throttle.succeeded("k");
    assertEquals(Optional.empty(), throttle.waitFor("k"));
    fail("k", LoginThrottle.FREE_FAILURES - 1);
    clock.advance(LoginThrottle.FORGET_AFTER);
    fail("k", 1);
    assertEquals(Optional.empty(), throttle.waitFor("k"), "the old failures were forgotten");
  }

  @Test
  void attemptsCountBeforeTheCheckSoParallelOnesWaitToo() {
    for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
      assertEquals(Optional.empty(), throttle.attempt("k"), "attempt " + i);
    }
    // Five checks in flight at once, none answered yet: the sixth waits.
    assertEquals(Optional.of(Duration.ofSeconds(1)), throttle.attempt("k"));
    throttle.succeeded("k");
    assertEquals(Optional.empty(), throttle.attempt("k"));
  }

  @Test
  void floodingTheTableFreesNoOneWhoMustWait() {
    fail("victim", LoginThrottle.FREE_FAILURES);
    for (int i = 0; i < LoginThrottle.MAX_KEYS + 10; i++) {
      throttle.failed("junk " + i);
    }
    assertEquals(Optional.of(Duration.ofSeconds(1)), throttle.waitFor("victim"));
  }

  @Test
  void itHoldsABoundedNumberOfKeysDroppingTheOldestThatDoesNotWait() {
    fail("first", LoginThrottle.FREE_FAILURES - 1);
    for (int i = 0; i < LoginThrottle.MAX_KEYS; i++) {
      throttle.failed("key " + i);
    }
    fail("first", 1);
    assertEquals(Optional.empty(), throttle.waitFor("first"), "its earlier count was dropped");
    fail("key 1", LoginThrottle.FREE_FAILURES - 1);
    assertEquals(Optional.of(Duration.ofSeconds(1)), throttle.waitFor("key 1"));
  }
}
