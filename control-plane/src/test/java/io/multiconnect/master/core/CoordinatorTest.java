package io.multiconnect.master.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.clock.FakeClock;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.LeaseRules;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CoordinatorTest {
  private static final Duration U = Settings.DEFAULT_UNHEALTHY_INTERVAL;
  private static final Duration MS = Duration.ofMillis(1);
  private static final Duration DEREGISTER_AFTER = Duration.ofHours(1);

  private final FakeClock clock = new FakeClock(1_000_000_000L);
  private Coordinator coordinator;
  private ClusterState state = ClusterState.INITIAL;
  private long index;

  @BeforeEach
  void registerTwoCoreapps() {
    apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"));
    apply(new Command.RegisterCoreapp("b", "b-1", "127.0.0.1:7002"));
    coordinator = new Coordinator(clock, state, DEREGISTER_AFTER);
  }

  private void apply(Command c) {
    state = state.apply(c, ++index);
    if (coordinator != null) {
      coordinator.applied(state);
    }
  }

  private void applyAll(List<Command> commands) {
    commands.forEach(this::apply);
  }

  private void heard(String... ids) {
    for (String id : ids) {
      coordinator.heard(id, id + "-1", clock.getAsLong());
    }
  }

  @Test
  void assignsAHealthySpareToAShardWithoutPrimary() {
    assertEquals(List.of(), coordinator.poll(state), "nobody heard yet: nothing to assign");
    heard("b", "a");
    assertEquals(List.of(new Command.AssignPrimary(0, "a", 0)), coordinator.poll(state));
  }

  @Test
  void aHeartbeatThatMakesACoreappHealthyAsksForAPlanningRound() {
    // The control loop sleeps until the next silence runs out (nextCheckTimeNanos), which no
    // heartbeat moves earlier; only a coreapp turning healthy can make a round place something.
    assertTrue(coordinator.heard("a", "a-1", clock.getAsLong()), "first heard: now healthy");
    clock.advance(U.minus(MS));
    assertFalse(coordinator.heard("a", "a-1", clock.getAsLong()), "still healthy: nothing new");
    clock.advance(U);
    assertTrue(coordinator.heard("a", "a-1", clock.getAsLong()), "silent for U: healthy again");
    assertFalse(coordinator.heard("a", "a-1", clock.getAsLong()));

    apply(
        new Command.UpdateSettings(
            state.settings().heartbeatInterval(), state.settings().unhealthyInterval().plus(U)));
    clock.advance(U.plus(MS));
    assertFalse(
        coordinator.heard("a", "a-1", clock.getAsLong()),
        "healthy under the longer unhealthy_interval the coordinator was shown");
  }

  @Test
  void detectsADeadPrimaryAfterExactlyUnhealthyInterval() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epoch = state.assignments().get(0).epoch();
    long lastHeardA = clock.getAsLong();
    assertEquals(OptionalLong.of(lastHeardA + U.toNanos()), coordinator.nextCheckTimeNanos(state));

    // b keeps heartbeating, a goes silent.
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofSeconds(1));
      heard("b");
    }
    clock.set(lastHeardA + U.toNanos() - 1);
    heard("b");
    assertEquals(List.of(), coordinator.poll(state), "one nanosecond early");
    clock.set(lastHeardA + U.toNanos());
    assertEquals(List.of(new Command.AssignPrimary(0, "b", epoch)), coordinator.poll(state));
  }

  @Test
  void aCoreappGoneForTheDeregistrationWindowIsForgottenOnceItHoldsNothing() {
    long elected = clock.getAsLong();
    assertEquals(
        OptionalLong.of(elected + DEREGISTER_AFTER.toNanos()),
        coordinator.nextCheckTimeNanos(state),
        "nobody heard: each is forgotten a window after the election unless heard");
    heard("a", "b");
    applyAll(coordinator.poll(state)); // a primary of shard 0
    long lastHeardA = clock.getAsLong();

    // a goes silent: replaced by b after U, forgotten only a window after its last heartbeat.
    clock.set(lastHeardA + U.toNanos());
    heard("b");
    applyAll(coordinator.poll(state));
    assertEquals("b", state.assignments().get(0).coreappId());
    clock.set(lastHeardA + DEREGISTER_AFTER.toNanos() - 1);
    heard("b");
    assertEquals(List.of(), coordinator.poll(state), "one nanosecond early");
    clock.set(lastHeardA + DEREGISTER_AFTER.toNanos());
    heard("b");
    assertEquals(List.of(new Command.DeregisterCoreapp("a", "a-1")), coordinator.poll(state));
    applyAll(coordinator.poll(state));
    assertEquals(List.of("b"), List.copyOf(state.coreapps().keySet()));

    // If it comes back, it is told to register again.
    assertEquals(
        HeartbeatDecision.Refusal.UNKNOWN_COREAPP, coordinator.answer(state, "a", "a-1").refusal());
  }

  @Test
  void aSilentCoreappThatStillHoldsAnEpochIsNotForgotten() {
    heard("a", "b");
    applyAll(coordinator.poll(state)); // a primary of shard 0 at epoch 1
    apply(new Command.MovePrimary(0, "b", 1)); // a must release epoch 1 first
    clock.advance(DEREGISTER_AFTER.multipliedBy(2));
    heard("b");
    List<Command> plan = coordinator.poll(state);
    assertEquals(List.of(new Command.ExpireRevocation("a", 1)), plan, "a is not forgotten yet");
    applyAll(plan);
    heard("b");
    assertEquals(
        List.of(new Command.AssignPrimary(0, "b", 0), new Command.DeregisterCoreapp("a", "a-1")),
        coordinator.poll(state),
        "once nothing is left to release");
  }

  @Test
  void noReassignmentDuringANewLeadersGracePeriod() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    clock.advance(Duration.ofSeconds(30));

    // A new leadership: everything heard before it is forgotten, silences count from now.
    coordinator.end();
    coordinator = new Coordinator(clock, state, DEREGISTER_AFTER);
    long electedAt = clock.getAsLong();
    clock.set(electedAt + U.toNanos() - 1);
    heard("b");
    assertEquals(List.of(), coordinator.poll(state), "a stays primary during the grace period");
    clock.set(electedAt + U.toNanos());
    assertEquals(1, coordinator.poll(state).size(), "a is replaced once the grace period is over");
  }

  @Test
  void aShardAboutToMoveGetsNoLease() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    assertEquals(LeaseRules.leaseDuration(U), coordinator.answer(state, "a", "a-1").lease());

    clock.advance(U);
    heard("b");
    List<Command> plan = coordinator.poll(state);
    assertEquals(1, plan.size());
    // The decision is not applied yet, but a late heartbeat from a must not renew its lease.
    heard("a");
    assertEquals(Duration.ZERO, coordinator.answer(state, "a", "a-1").lease());

    coordinator.proposalDone(plan.get(0), Coordinator.ProposalOutcome.UNKNOWN);
    assertEquals(
        Duration.ZERO,
        coordinator.answer(state, "a", "a-1").lease(),
        "after a timeout the move may still commit: still no lease");

    coordinator.proposalDone(plan.get(0), Coordinator.ProposalOutcome.NOT_LOGGED);
    assertEquals(LeaseRules.leaseDuration(U), coordinator.answer(state, "a", "a-1").lease());
  }

  @Test
  void anEndedLeadershipGrantsNoLeaseAndPlansNothing() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    coordinator.end();
    assertEquals(Duration.ZERO, coordinator.answer(state, "a", "a-1").lease());
    assertEquals(List.of(), coordinator.poll(state));
  }

  @Test
  void unknownCoreappIsToldToRegister() {
    assertEquals(
        HeartbeatDecision.Refusal.UNKNOWN_COREAPP,
        coordinator.answer(state, "zz", "zz-1").refusal());
  }

  /**
   * a (process a-1) releases its epoch on shutdown and the release commits slowly; the restarted
   * process a-2 heartbeats at once. Nothing may be granted to a-2 on the epoch a-1 gave up, and the
   * shard goes to b only once a-1's release (or the revocation's expiry) says a-1 stopped.
   */
  @Test
  void aRestartedProcessIsNeverGrantedWhatItsPredecessorHeld() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epoch = state.assignments().get(0).epoch();
    Command.ConfirmRelease slowRelease = coordinator.release(state, "a", "a-1", epoch, true);

    coordinator.heard("a", "a-2", clock.getAsLong());
    HeartbeatDecision beforeItRegistered = coordinator.answer(state, "a", "a-2");
    assertEquals(HeartbeatDecision.Refusal.SUPERSEDED, beforeItRegistered.refusal());
    assertEquals(Duration.ZERO, beforeItRegistered.lease());

    apply(new Command.RegisterCoreapp("a", "a-2", "127.0.0.1:7001"));
    HeartbeatDecision registered = coordinator.answer(state, "a", "a-2");
    assertEquals(HeartbeatDecision.Refusal.NONE, registered.refusal());
    assertEquals(Optional.empty(), registered.primary());
    assertEquals(Duration.ZERO, registered.lease());
    assertEquals(List.of(), registered.releaseEpochs(), "a-2 never held epoch " + epoch);
    assertEquals(List.of(), coordinator.poll(state), "a-1 may still act until it released");

    apply(slowRelease);
    applyAll(coordinator.poll(state));
    assertEquals("b", state.assignments().get(0).coreappId());
    assertEquals(
        HeartbeatDecision.Refusal.SUPERSEDED, coordinator.answer(state, "a", "a-1").refusal());
  }

  @Test
  void aSecondProcessWithALivePrimarysIdGetsNothingAndTheFirstIsToldItWasSuperseded() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epoch = state.assignments().get(0).epoch();
    apply(new Command.RegisterCoreapp("a", "a-2", "127.0.0.1:7009"));
    HeartbeatDecision first = coordinator.answer(state, "a", "a-1");
    assertEquals(HeartbeatDecision.Refusal.SUPERSEDED, first.refusal());
    assertEquals(Duration.ZERO, first.lease());
    assertEquals(List.of(), first.releaseEpochs(), "a-1 is told to exit, not to release");
    assertEquals(Duration.ZERO, coordinator.answer(state, "a", "a-2").lease());

    // Only a-1 can confirm it stopped; otherwise the revocation waits out the lease bound.
    assertEquals(List.of(), coordinator.poll(state));
    clock.advance(state.leaseBoundInterval());
    heard("b");
    assertEquals(List.of(new Command.ExpireRevocation("a", epoch)), coordinator.poll(state));
  }

  @Test
  void onlyTheRegisteredProcessKeepsACoreappAlive() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epoch = state.assignments().get(0).epoch();
    for (int i = 0; i < 10; i++) {
      clock.advance(U.dividedBy(5));
      heard("b");
      coordinator.heard("a", "a-zombie", clock.getAsLong());
    }
    assertEquals(List.of(new Command.AssignPrimary(0, "b", epoch)), coordinator.poll(state));
  }

  @Test
  void shardCountChangeWaitsForReleaseBeforeReassigning() {
    apply(new Command.RegisterCoreapp("c", "c-1", "127.0.0.1:7003"));
    heard("a", "b", "c");
    applyAll(coordinator.poll(state));
    long oldEpoch = state.assignments().get(0).epoch();

    assertTrue(coordinator.checkShardCount(state, 2).isEmpty());
    apply(new Command.SetShardCount(2));
    assertEquals(List.of(oldEpoch), coordinator.answer(state, "a", "a-1").releaseEpochs());
    assertEquals(
        List.of(), coordinator.poll(state), "both new shards overlap the revoked shard 0 of 1");

    apply(new Command.ConfirmRelease("a", "a-1", oldEpoch, false));
    assertEquals(
        List.of(new Command.AssignPrimary(0, "a", 0), new Command.AssignPrimary(1, "b", 0)),
        coordinator.poll(state));
  }

  /** Registers a third coreapp c, hears a, b, c, assigns shard 0 (to a); returns its epoch. */
  private long threeHeardAndShard0Assigned() {
    apply(new Command.RegisterCoreapp("c", "c-1", "127.0.0.1:7003"));
    heard("a", "b", "c");
    applyAll(coordinator.poll(state));
    return state.assignments().get(0).epoch();
  }

  @Test
  void aMovedShardGoesToItsTargetOnlyAfterTheOldPrimaryReleased() {
    long epoch = threeHeardAndShard0Assigned();
    Command.MovePrimary move = new Command.MovePrimary(0, "c", epoch);
    assertTrue(coordinator.checkMove(state, move).isEmpty());
    apply(move);

    assertEquals(List.of(epoch), coordinator.answer(state, "a", "a-1").releaseEpochs());
    assertEquals(
        Duration.ZERO, coordinator.answer(state, "a", "a-1").lease(), "no lease on a moved shard");
    assertEquals(List.of(), coordinator.poll(state), "a has not released yet");
    apply(new Command.ConfirmRelease("a", "a-1", epoch, false));
    assertEquals(
        List.of(new Command.AssignPrimary(0, "c", 0)),
        coordinator.poll(state),
        "the target, not the first spare in id order (a, b)");
    applyAll(coordinator.poll(state));
    assertTrue(state.moves().isEmpty());
  }

  @Test
  void theReleaseOfAMovedShardAssignsItsTargetInTheSameEntry() {
    long epoch = threeHeardAndShard0Assigned();
    apply(new Command.MovePrimary(0, "c", epoch));

    Command.ConfirmRelease release = coordinator.release(state, "a", "a-1", epoch, false);
    assertEquals(List.of(new Command.AssignPrimary(0, "c", 0)), release.thenAssign());
    apply(release);
    assertEquals(new Assignment(0, "c", epoch + 1), state.assignments().get(0));
    assertTrue(state.revocations().isEmpty() && state.moves().isEmpty());
    assertEquals(List.of(), coordinator.poll(state), "nothing left for the next planning round");
    assertEquals(
        List.of(),
        coordinator.release(state, "a", "a-1", epoch, false).thenAssign(),
        "a resent release frees nothing, so it assigns nothing");
  }

  @Test
  void aReleaseCarriesNoReplacementOfADeadPrimaryAndNothingWhenNotLeading() {
    apply(new Command.SetShardCount(2));
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epochA = state.assignments().get(0).epoch();
    apply(new Command.RegisterCoreapp("c", "c-1", "127.0.0.1:7003"));
    apply(new Command.RegisterCoreapp("d", "d-1", "127.0.0.1:7004"));
    apply(new Command.SetDrained("a", true));
    clock.advance(U);
    heard("a", "c", "d"); // b, primary of shard 1, is now dead

    Command.ConfirmRelease release = coordinator.release(state, "a", "a-1", epochA, false);
    assertEquals(
        List.of(new Command.AssignPrimary(0, "d", 0)),
        release.thenAssign(),
        "shard 0 only: replacing dead b (expected epoch != 0) is the planning round's, which"
            + " withholds b's epoch first; c is kept for it");
    assertTrue(coordinator.poll(state).contains(new Command.AssignPrimary(1, "c", epochA + 1)));

    coordinator.end();
    assertEquals(
        new Command.ConfirmRelease("a", "a-1", epochA, false),
        coordinator.release(state, "a", "a-1", epochA, false));
  }

  @Test
  void aMoveTargetIsNotGivenToAnotherShard() {
    long epoch = threeHeardAndShard0Assigned();
    apply(new Command.MovePrimary(0, "b", epoch));
    apply(new Command.SetShardCount(2));
    assertTrue(state.moves().isEmpty(), "a shard-count change cancels moves");

    apply(new Command.ConfirmRelease("a", "a-1", epoch, false));
    apply(new Command.MovePrimary(1, "a", 0));
    assertEquals(
        List.of(new Command.AssignPrimary(0, "b", 0), new Command.AssignPrimary(1, "a", 0)),
        coordinator.poll(state));
  }

  @Test
  void refusesMovesToUnknownBusyOrSilentCoreapps() {
    apply(new Command.RegisterCoreapp("c", "c-1", "127.0.0.1:7003"));
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epoch = state.assignments().get(0).epoch();
    assertEquals(
        "coreapp_id: unknown coreapp 'zz'",
        coordinator.checkMove(state, new Command.MovePrimary(0, "zz", epoch)).get().toString());
    assertEquals(
        "coreapp_id: coreapp 'a' is already primary of shard 0",
        coordinator.checkMove(state, new Command.MovePrimary(0, "a", epoch)).get().toString());
    assertEquals(
        "coreapp_id: coreapp 'c' is not healthy",
        coordinator.checkMove(state, new Command.MovePrimary(0, "c", epoch)).get().toString());
    assertEquals(
        "shard: must be in [0, 1), got 3",
        coordinator.checkMove(state, new Command.MovePrimary(3, "b", 0)).get().toString());
    apply(new Command.SetDrained("b", true));
    assertTrue(
        coordinator
            .checkMove(state, new Command.MovePrimary(0, "b", epoch))
            .get()
            .toString()
            .startsWith("coreapp_id: coreapp 'b' is not a spare"));
  }

  @Test
  void aDrainedCoreappReleasesItsShardAndGetsNoneUntilUndrained() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epoch = state.assignments().get(0).epoch();
    apply(new Command.SetDrained("a", true));
    assertEquals(List.of(epoch), coordinator.answer(state, "a", "a-1").releaseEpochs());
    apply(new Command.ConfirmRelease("a", "a-1", epoch, false));
    assertEquals(List.of(new Command.AssignPrimary(0, "b", 0)), coordinator.poll(state));
    applyAll(coordinator.poll(state));

    // b dies: a is drained, so shard 0 is left without a primary rather than given to a.
    clock.advance(U);
    heard("a");
    long epochB = state.assignments().get(0).epoch();
    assertEquals(List.of(new Command.RemovePrimary(0, epochB)), coordinator.poll(state));
    applyAll(coordinator.poll(state));
    apply(new Command.SetDrained("a", false));
    assertEquals(List.of(new Command.AssignPrimary(0, "a", 0)), coordinator.poll(state));
  }

  @Test
  void aCoreappThatLeftGetsNoShardUntilItRegistersAgain() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long epoch = state.assignments().get(0).epoch();
    apply(new Command.ConfirmRelease("a", "a-1", epoch, true));
    assertEquals(List.of(new Command.AssignPrimary(0, "b", 0)), coordinator.poll(state));
    assertTrue(state.coreapps().get("a").drained());
    apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"));
    assertTrue(state.isSpare("a"));
  }

  @Test
  void revocationOfASilentHolderExpiresAfterTheLeaseBound() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    long oldEpoch = state.assignments().get(0).epoch();
    apply(new Command.SetShardCount(2));
    long revokedAt = clock.getAsLong();

    clock.set(revokedAt + U.toNanos() - 1);
    heard("b");
    assertEquals(List.of(), coordinator.poll(state));
    clock.set(revokedAt + U.toNanos());
    heard("b");
    List<Command> round = coordinator.poll(state);
    assertEquals(List.of(new Command.ExpireRevocation("a", oldEpoch)), round);
    applyAll(round);
    assertEquals(List.of(new Command.AssignPrimary(0, "b", 0)), coordinator.poll(state));
  }

  @Test
  void refusesAShardCountTheHealthyCoreappsCannotCover() {
    heard("a", "b");
    Rejection r = coordinator.checkShardCount(state, 4).orElseThrow();
    assertEquals("shard_count", r.field());
    assertTrue(r.message().contains("only 2 are healthy"), r.message());
    assertEquals("shard_count", coordinator.checkShardCount(state, 3).orElseThrow().field());
  }

  @Test
  void aDecreaseTakesEffectAtOnceWhenNoLeaseIsOutstanding() {
    apply(new Command.UpdateSettings(Duration.ofMillis(200), Duration.ofSeconds(1)));
    assertEquals(Duration.ofSeconds(1), state.leaseBoundInterval());
  }

  @Test
  void aDecreasedUnhealthyIntervalIsUsedOnlyOnceOldLeasesAreOver() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    apply(new Command.UpdateSettings(Duration.ofMillis(200), Duration.ofSeconds(1)));
    assertEquals(U, state.leaseBoundInterval(), "a holds a lease granted under 5 s");
    long changedAt = clock.getAsLong();
    assertEquals(U, state.leaseBoundInterval());

    clock.set(changedAt + Duration.ofSeconds(2).toNanos());
    heard("b");
    assertEquals(List.of(), coordinator.poll(state), "a may still hold a 4 s lease from before");

    clock.set(changedAt + U.toNanos());
    heard("b");
    List<Command> round = coordinator.poll(state);
    assertEquals(new Command.SettleSettings(state.settingsVersion()), round.get(0));
    apply(round.get(0));
    assertEquals(Duration.ofSeconds(1), state.leaseBoundInterval());
  }

  @Test
  void aSecondDecreaseRestartsTheWaitForLeasesGrantedUnderTheFirst() {
    heard("a", "b");
    applyAll(coordinator.poll(state));
    apply(new Command.UpdateSettings(Duration.ofMillis(200), Duration.ofSeconds(4)));
    long first = clock.getAsLong();
    clock.advance(Duration.ofMillis(4900));
    heard("a", "b");
    assertEquals(
        LeaseRules.leaseDuration(Duration.ofSeconds(4)),
        coordinator.answer(state, "a", "a-1").lease());
    apply(new Command.UpdateSettings(Duration.ofMillis(200), Duration.ofSeconds(1)));
    long second = clock.getAsLong();

    clock.set(first + U.toNanos());
    heard("a", "b");
    assertEquals(
        List.of(),
        coordinator.poll(state),
        "a's lease granted under 4 s, 100 ms ago, is still running: no settle to 1 s");
    clock.set(second + U.toNanos() - 1);
    heard("a", "b");
    assertEquals(List.of(), coordinator.poll(state), "one nanosecond early");

    clock.set(second + U.toNanos());
    heard("a", "b");
    assertEquals(
        List.of(new Command.SettleSettings(state.settingsVersion())), coordinator.poll(state));
  }
}
