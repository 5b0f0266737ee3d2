package io.multiconnect.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {
  private static final long SECOND = 1_000_000_000L;
  private final RestartPolicy policy =
      new RestartPolicy(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMinutes(1));

  @Test
  void aNodeThatRanForAWhileIsStartedAgainAfterTheFirstDelay() {
    policy.started("c1", 0);
    assertEquals(Duration.ofSeconds(2), policy.delayAfterExit("c1", 600 * SECOND));
    policy.started("c1", 602 * SECOND);
    assertEquals(Duration.ofSeconds(2), policy.delayAfterExit("c1", 700 * SECOND));
  }

  @Test
  void aNodeThatKeepsExitingSoonAfterItsStartWaitsTwiceAsLongEachTimeUpToTheMaximum() {
    long now = 0;
    policy.started("c1", now);
    long[] expected = {2, 4, 8, 16, 30, 30};
    for (long seconds : expected) {
      now += SECOND;
      Duration delay = policy.delayAfterExit("c1", now);
      assertEquals(Duration.ofSeconds(seconds), delay);
      now += delay.toNanos();
      policy.started("c1", now);
    }
  }

  @Test
  void eachNodeHasItsOwnDelay() {
    policy.started("c1", 0);
    policy.started("c2", 0);
    policy.delayAfterExit("c1", SECOND);
    policy.started("c1", 3 * SECOND);
    assertEquals(Duration.ofSeconds(4), policy.delayAfterExit("c1", 4 * SECOND));
    assertEquals(Duration.ofSeconds(2), policy.delayAfterExit("c2", 4 * SECOND));
  }
}
