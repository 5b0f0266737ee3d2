package io.multiconnect.dataplane.coreapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.clock.FakeClock;
import io.multiconnect.common.lease.Assignment;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The coreapp's lease-to-session decisions on a fake clock. */
class LeaseDecisionsTest {
  private static final Duration SILENCE = Duration.ofMillis(400);
  private static final Duration LEASE = Duration.ofSeconds(4);
  private static final Assignment SHARD1 = new Assignment(1, "c1", 7);

  private final FakeClock clock = new FakeClock(1_000_000_000L);
  private final LeaseDecisions decisions = new LeaseDecisions(SILENCE);

  /** A heartbeat sent now and answered with {@code primary}, {@code releases} to release. */
  private List<Long> granted(Optional<Assignment> primary, List<Long> releases) {
    long seq = decisions.beforeHeartbeat(clock.getAsLong());
    return decisions.onAnswer(seq, primary, 2, LEASE, releases);
  }

  private static Optional<LeaseDecisions.Held> held(long epoch, String id) {
    return Optional.of(new LeaseDecisions.Held(2, epoch, id, null));
  }

  /**
   * The host was suspended: the monotonic clock stood still, the lease looks valid, and the session
   * the upstream dropped meanwhile would be opened again on a stale epoch. After a clock jump the
   * coreapp acts again only on an answer to a heartbeat sent after it.
   */
  @Test
  void afterAClockJumpOnlyAFreshAnswerLetsTheCoreappActAgain() {
    long sent = decisions.beforeHeartbeat(clock.getAsLong()); // sent before the suspend
    granted(Optional.of(SHARD1), List.of());
    assertTrue(decisions.acting(held(7, "s"), clock.getAsLong()).isPresent());

    decisions.distrust(); // resumed: the clocks disagree
    LeaseDecisions.Step step = decisions.reconcile(OptionalLong.of(7), clock.getAsLong());
    assertEquals(Optional.of("clock jump: waiting for a fresh answer"), step.close());
    assertEquals(Optional.empty(), step.open());
    assertEquals(Optional.empty(), decisions.acting(held(7, "s"), clock.getAsLong()));

    decisions.onAnswer(sent, Optional.of(SHARD1), 2, LEASE, List.of()); // late, sent before
    assertEquals(
        Optional.empty(), decisions.reconcile(OptionalLong.empty(), clock.getAsLong()).open());

    granted(Optional.of(SHARD1), List.of()); // a heartbeat sent after the jump, answered
    assertEquals(
        Optional.of(new LeaseDecisions.Open(SHARD1, 2)),
        decisions.reconcile(OptionalLong.empty(), clock.getAsLong()).open());
  }

  @Test
  void aGrantOpensTheSessionAndDecidesAgainAtTheActingDeadline() {
    long sentAt = clock.getAsLong();
    granted(Optional.of(SHARD1), List.of());
    LeaseDecisions.Step step = decisions.reconcile(OptionalLong.empty(), clock.getAsLong());
    assertEquals(Optional.empty(), step.close());
    assertEquals(Optional.of(new LeaseDecisions.Open(SHARD1, 2)), step.open());
    long deadline = sentAt + LEASE.toNanos() - SILENCE.toNanos();
    assertEquals(OptionalLong.of(deadline), step.recheckAtNanos());
    assertEquals(deadline, decisions.actingDeadlineNanos());
  }

  @Test
  void theSessionClosesAtTheActingDeadlineNotAtTheLeasesEnd() {
    long sentAt = clock.getAsLong();
    granted(Optional.of(SHARD1), List.of());
    long deadline = sentAt + LEASE.toNanos() - SILENCE.toNanos();

    clock.set(deadline - 1);
    LeaseDecisions.Step before = decisions.reconcile(OptionalLong.of(7), clock.getAsLong());
    assertEquals(Optional.empty(), before.close());
    assertEquals(Optional.empty(), before.open(), "the session held is the right one");
    assertTrue(decisions.acting(held(7, "s"), clock.getAsLong()).isPresent());

    clock.set(deadline);
    LeaseDecisions.Step at = decisions.reconcile(OptionalLong.of(7), clock.getAsLong());
    assertEquals(Optional.of("lease lapsed"), at.close());
    assertEquals(Optional.empty(), at.open());
    assertEquals(OptionalLong.empty(), at.recheckAtNanos(), "nothing to wake for");
    assertEquals(Optional.empty(), decisions.acting(held(7, "s"), clock.getAsLong()));
  }

  @Test
  void aNewEpochClosesTheOldSessionAndOpensTheNewOne() {
    granted(Optional.of(SHARD1), List.of());
    Assignment next = new Assignment(1, "c1", 9);
    granted(Optional.of(next), List.of());
    LeaseDecisions.Step step = decisions.reconcile(OptionalLong.of(7), clock.getAsLong());
    assertEquals(Optional.of("epoch changed to 9"), step.close());
    assertEquals(Optional.of(new LeaseDecisions.Open(next, 2)), step.open());
  }

  @Test
  void aRevokedEpochIsReleasedAndNeverActedOnAgain() {
    granted(Optional.of(SHARD1), List.of());
    assertEquals(List.of(7L), granted(Optional.of(SHARD1), List.of(7L)));
    LeaseDecisions.Step step = decisions.reconcile(OptionalLong.of(7), clock.getAsLong());
    assertEquals(Optional.of("lease lapsed"), step.close());
    assertEquals(Optional.empty(), step.open());
    assertEquals(Optional.empty(), decisions.acting(held(7, "s"), clock.getAsLong()));
  }

  @Test
  void theHandlersActOnlyOnTheSessionOfTheLeasedEpoch() {
    long sentAt = clock.getAsLong();
    granted(Optional.of(SHARD1), List.of());
    assertEquals(Optional.empty(), decisions.acting(Optional.empty(), clock.getAsLong()));
    assertEquals(Optional.empty(), decisions.acting(held(6, "old"), clock.getAsLong()));
    Acting a = decisions.acting(held(7, null), clock.getAsLong()).orElseThrow();
    assertEquals(new Acting(1, 2, 7, null, sentAt + LEASE.toNanos() - SILENCE.toNanos(), null), a);
    assertTrue(a.mayActAt(a.deadlineNanos() - 1));
    assertTrue(!a.mayActAt(a.deadlineNanos()));
  }

  @Test
  void aLeaseNoLongerThanTheSilenceLeavesNoTimeToAct() {
    assertTrue(decisions.leavesNoTimeToAct(SILENCE));
    assertTrue(!decisions.leavesNoTimeToAct(SILENCE.plusMillis(1)));
    long seq = decisions.beforeHeartbeat(clock.getAsLong());
    decisions.onAnswer(seq, Optional.of(SHARD1), 2, SILENCE, List.of());
    assertEquals(
        Optional.empty(),
        decisions.reconcile(OptionalLong.empty(), clock.getAsLong()).open(),
        "never opened: it could not act at all");
  }

  @Test
  void relinquishingOnShutdownStopsActingAndNamesTheEpoch() {
    granted(Optional.of(SHARD1), List.of());
    assertEquals(Optional.of(7L), decisions.relinquish());
    assertEquals(Optional.empty(), decisions.acting(held(7, "s"), clock.getAsLong()));
    assertEquals(Optional.empty(), decisions.relinquish());
  }

  @Test
  void aStaleAnswerDoesNotChangeTheShardCountOfTheEpochHeld() {
    long older = decisions.beforeHeartbeat(clock.getAsLong());
    long newer = decisions.beforeHeartbeat(clock.getAsLong());
    Assignment underFour = new Assignment(1, "c1", 9);
    decisions.onAnswer(newer, Optional.of(underFour), 4, LEASE, List.of());
    // The answer to the older heartbeat, from before the shard count changed, arrives late.
    decisions.onAnswer(older, Optional.of(SHARD1), 2, LEASE, List.of());

    assertEquals(
        Optional.of(new LeaseDecisions.Open(underFour, 4)),
        decisions.reconcile(OptionalLong.empty(), clock.getAsLong()).open(),
        "epoch 9 is shard 1 of 4; shard 1 of 2 covers other recipients");
  }
}
