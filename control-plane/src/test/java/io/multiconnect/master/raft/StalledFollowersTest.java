package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.master.raft.StalledFollowers.Follower;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Time is a number the test passes in: no waiting. */
class StalledFollowersTest {
  private static final long S = 1_000_000_000L;
  private final StalledFollowers watch =
      new StalledFollowers(Duration.ofSeconds(15), Duration.ofSeconds(2));

  /** The state the benchmark lab was left in on 2026-12-03: m1 answered, stuck at index 0. */
  @Test
  void aFollowerThatAnswersButNeverMovesIsStalledAfterTheInterval() {
    List<Follower> followers = List.of(new Follower("m1", 0, 100), new Follower("m3", 16, 40));
    assertEquals(List.of(), watch.observe(0, 16, followers));
    assertEquals(List.of(), watch.observe(14 * S, 16, followers));
    assertEquals(List.of("m1"), watch.observe(15 * S, 16, followers));
    assertEquals(
        Optional.of("m3"), watch.handOverTo(16, followers, watch.observe(16 * S, 16, followers)));
  }

  @Test
  void aSlowFollowerThatMovesIsNotStalled() {
    for (int t = 0; t <= 60; t++) {
      List<Follower> followers = List.of(new Follower("m1", t, 100));
      assertEquals(List.of(), watch.observe(t * S, 1000, followers), "at " + t + " s");
    }
  }

  @Test
  void aFollowerThatDoesNotAnswerIsNotStalled() {
    List<Follower> down = List.of(new Follower("m1", 3, 30_000));
    watch.observe(0, 16, down);
    assertEquals(List.of(), watch.observe(60 * S, 16, down));
  }

  @Test
  void aFollowerUpToDateIsNotStalledHoweverQuietTheLog() {
    List<Follower> idle = List.of(new Follower("m1", 16, 100));
    watch.observe(0, 16, idle);
    assertEquals(List.of(), watch.observe(600 * S, 16, idle));
  }

  @Test
  void theIntervalStartsAgainWhenTheMatchIndexMoves() {
    watch.observe(0, 20, List.of(new Follower("m1", 5, 100)));
    watch.observe(10 * S, 20, List.of(new Follower("m1", 6, 100)));
    assertEquals(List.of(), watch.observe(20 * S, 20, List.of(new Follower("m1", 6, 100))));
    assertEquals(List.of("m1"), watch.observe(25 * S, 20, List.of(new Follower("m1", 6, 100))));
  }

  @Test
  void resetStartsEveryFollowerAfresh() {
    List<Follower> stuck = List.of(new Follower("m1", 0, 100));
    watch.observe(0, 16, stuck);
    watch.reset();
    assertEquals(List.of(), watch.observe(15 * S, 16, stuck));
    assertEquals(List.of("m1"), watch.observe(30 * S, 16, stuck));
  }

  @Test
  void leadershipGoesOnlyToAnUpToDateFollowerThatAnswers() {
    List<Follower> followers =
        List.of(
            new Follower("m1", 0, 100),
            new Follower("m2", 15, 100), // behind
            new Follower("m3", 16, 9_000), // silent
            new Follower("m4", 16, 100));
    assertEquals(Optional.of("m4"), watch.handOverTo(16, followers, List.of("m1")));
    assertEquals(Optional.empty(), watch.handOverTo(16, followers.subList(0, 3), List.of("m1")));
  }
}
