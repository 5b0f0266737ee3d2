package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Rounds are futures the test completes by hand: no Raft, no waiting. */
class LeadershipProofTest {
  private final List<CompletableFuture<Long>> rounds = new ArrayList<>();
  private final LeadershipProof proof =
      new LeadershipProof(
          () -> {
            CompletableFuture<Long> round = new CompletableFuture<>();
            rounds.add(round);
            return round;
          });

  @Test
  void callersDuringARoundShareTheNextOne() {
    CompletableFuture<Long> first = proof.afterNow();
    CompletableFuture<Long> second = proof.afterNow();
    CompletableFuture<Long> third = proof.afterNow();
    assertEquals(1, rounds.size());
    assertSame(second, third);
    rounds.get(0).complete(7L);
    assertEquals(7L, first.join());
    assertFalse(second.isDone(), "the second caller came after the first round started");
    assertEquals(2, rounds.size());
    rounds.get(1).complete(7L);
    assertEquals(7L, second.join());
  }

  @Test
  void aFailedRoundProvesNothing() {
    CompletableFuture<Long> caller = proof.afterNow();
    rounds.get(0).completeExceptionally(new IllegalStateException("not the leader"));
    assertEquals(-1L, caller.join());
  }

  @Test
  void abandoningAnswersEveryWaitingCallerAtOnceAndLaterCallersGetAFreshRound() {
    CompletableFuture<Long> inFlight = proof.afterNow();
    CompletableFuture<Long> queued = proof.afterNow();
    proof.abandon();
    assertEquals(-1L, inFlight.join());
    assertEquals(-1L, queued.join());

    CompletableFuture<Long> later = proof.afterNow();
    assertEquals(2, rounds.size(), "a fresh round, not queued behind the abandoned one");
    // The abandoned read ends late: it neither answers nor disturbs the fresh round.
    rounds.get(0).complete(3L);
    assertFalse(later.isDone());
    assertEquals(2, rounds.size());
    rounds.get(1).complete(4L);
    assertEquals(4L, later.join());
  }
}
