package io.multiconnect.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.clock.FakeClock;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Coordinator;
import io.multiconnect.master.core.Settings;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.port.Proposer;
import io.multiconnect.master.raft.Proposal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A planning round proposes with the term of the leadership that decided it. A master elected again
 * while a round of its earlier leadership is still proposing has a new coordinator, which withholds
 * nothing the old one decided to take away; were the old round's commands stamped with the new
 * term, they would commit as that leadership's and move a shard whose old primary the new
 * leadership may still lease. Stamped with the old term, they apply as no-ops (MasterStateMachine).
 */
class PlanningRoundTest {
  private static final String KEY = Tokens.newSigningKey();

  private final FakeClock clock = new FakeClock(1_000_000_000L);
  private ClusterState state = ClusterState.INITIAL;
  private final List<Long> stampedTerms = new ArrayList<>();
  private final List<Command> proposed = new ArrayList<>();
  private long index;

  /** A round of master m1 in term 1 over this test's state, proposing through {@code proposer}. */
  private PlanningRound roundOfTerm1(Proposer proposer) {
    return new PlanningRound("m1", 1, () -> state, proposer);
  }

  @Test
  void everyProposalOfARoundCarriesTheTermOfTheLeadershipThatDecidedIt() {
    state = state.apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"), ++index);
    Leadership first = leadership(7);
    first.coordinator().heard("a", "a-1", clock.getAsLong());
    Leadership[] current = {first};
    PlanningRound round =
        new PlanningRound(
            "m1",
            2,
            () -> state,
            (command, term) -> {
              // This master loses its term and is elected again after the round's first proposal.
              current[0] = leadership(8);
              stampedTerms.add(term);
              proposed.add(command);
              state = state.apply(command, ++index);
              return new Proposal.Committed(index);
            });

    assertTrue(round.run(first));

    assertEquals(3, proposed.size(), proposed.toString());
    assertTrue(proposed.get(0) instanceof Command.InitAuth);
    assertEquals(new Command.SetShardCount(2), proposed.get(1));
    assertTrue(proposed.get(2) instanceof Command.AssignPrimary, proposed.toString());
    assertEquals(List.of(7L, 7L, 7L), stampedTerms, "never the later leadership's term 8");
    assertEquals(8, current[0].term());
  }

  /**
   * Ratis answers "not the leader" also to a request it had appended before this master stepped
   * down; the next leader may commit that entry. Its epoch stays withheld, as after a timeout.
   */
  @Test
  void notTheLeaderAfterAProposalLeavesItsEpochWithheld() {
    state = state.apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"), ++index);
    state = state.apply(new Command.RegisterCoreapp("b", "b-1", "127.0.0.1:7002"), ++index);
    state = state.apply(new Command.AssignPrimary(0, "a", 0), ++index);
    state = state.apply(new Command.InitAuth(KEY, "$2a$hash"), ++index);
    Leadership leading = leadership(7);
    Coordinator coordinator = leading.coordinator();
    clock.advance(java.time.Duration.ofSeconds(1));
    coordinator.heard("b", "b-1", clock.getAsLong());
    clock.advance(Settings.DEFAULT_UNHEALTHY_INTERVAL);
    coordinator.heard("b", "b-1", clock.getAsLong());
    PlanningRound round =
        roundOfTerm1(
            (command, term) -> {
              proposed.add(command);
              return new Proposal.NotLeader(java.util.Optional.of("m2"));
            });

    assertEquals(false, round.run(leading));

    assertEquals(List.of(new Command.AssignPrimary(0, "b", 1)), proposed);
    coordinator.heard("a", "a-1", clock.getAsLong());
    assertEquals(
        java.time.Duration.ZERO,
        coordinator.answer(state, "a", "a-1").lease(),
        "the move of a's epoch may still commit: no lease on it");
  }

  @Test
  void aRoundStopsProposingOnceItsLeadershipEnded() {
    state = state.apply(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"), ++index);
    state = state.apply(new Command.RegisterCoreapp("b", "b-1", "127.0.0.1:7002"), ++index);
    state = state.apply(new Command.SetShardCount(2), ++index);
    state = state.apply(new Command.InitAuth(KEY, "$2a$hash"), ++index);
    Leadership leading = leadership(7);
    leading.coordinator().heard("a", "a-1", clock.getAsLong());
    leading.coordinator().heard("b", "b-1", clock.getAsLong());
    PlanningRound round =
        roundOfTerm1(
            (command, term) -> {
              proposed.add(command);
              leading.end(); // another master leads from here on
              state = state.apply(command, ++index);
              return new Proposal.Committed(index);
            });

    assertEquals(false, round.run(leading));

    assertEquals(List.of(new Command.AssignPrimary(0, "a", 0)), proposed, "shard 1 not proposed");
  }

  private Leadership leadership(long term) {
    return new Leadership(
        term,
        new Coordinator(clock, state, MasterConfig.DEFAULT_DEREGISTER_AFTER),
        () -> CompletableFuture.completedFuture(term));
  }
}
