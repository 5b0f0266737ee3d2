package io.multiconnect.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdminClientBackoffTest {

  @Test
  void pausesDoubleFromTheBackoffUpToFourTimesIt() {
    List<Long> pauses = new ArrayList<>();
    long pause = AdminClient.DEFAULT_BACKOFF.toMillis();
    for (int retry = 1; retry < AdminClient.DEFAULT_ATTEMPTS; retry++) {
      pauses.add(pause);
      pause =
          Duration.ofNanos(
                  AdminClient.nextPauseNanos(
                      Duration.ofMillis(pause).toNanos(), AdminClient.DEFAULT_BACKOFF))
              .toMillis();
    }
    // A new leader is found at most 400 ms after it is elected, and the defaults still wait
    // about 3 s in all, longer than an election takes.
    assertEquals(List.of(100L, 200L, 400L, 400L, 400L, 400L, 400L, 400L, 400L), pauses);
    assertEquals(3_100, pauses.stream().mapToLong(Long::longValue).sum());
  }
}
