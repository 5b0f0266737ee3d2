package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Rounds are futures the test completes by hand, and callers are answered when the test runs the
 * queued answers: no Raft, no waiting.
 */
class LeadershipProofTest {
  private final List<CompletableFuture<Long>> rounds = new ArrayList<>();
  private final Deque<Runnable> answers = new ArrayDeque<>();
  private final LeadershipProof proof =
      new LeadershipProof(
          () -> {
            CompletableFuture<Long> round = new CompletableFuture<>();
            rounds.add(round);
            return round;
          },
          answers::add);

  /** Completes round {@code i} with {@code term} and runs the answers that queues. */
  private void end(int i, long term) {
    rounds.get(i).complete(term);
    answers.forEach(Runnable::run);
    answers.clear();
  }

  @Test
  void theNextRoundStartsBeforeTheCallersOfTheLastAreAnswered() {
    CompletableFuture<Long> first = proof.afterNow();
    CompletableFuture<Long> second = proof.afterNow();
    rounds.get(0).complete(7L);
    assertEquals(2, rounds.size(), "the second caller's round is under way");
    assertFalse(first.isDone(), "answered on the answers executor, not on the round's thread");
    answers.forEach(Runnable::run);
    answers.clear();
    assertEquals(7L, first.join());
    assertFalse(second.isDone());
    end(1, 7L);
    assertEquals(7L, second.join());
  }

  @Test
  void callersDuringARoundShareTheNextOne() {
    CompletableFuture<Long> first = proof.afterNow();
    CompletableFuture<Long> second = proof.afterNow();
    CompletableFuture<Long> third = proof.afterNow();
    assertEquals(1, rounds.size());
    assertSame(second, third);
    end(0, 7L);
    assertEquals(7L, first.join());
    assertFalse(second.isDone(), "the second caller came after the first round started");
    assertEquals(2, rounds.size());
    end(1, 7L);
    assertEquals(7L, second.join());
  }

  @Test
  void aFailedRoundProvesNothing() {
    CompletableFuture<Long> caller = proof.afterNow();
    rounds.get(0).completeExceptionally(new IllegalStateException("not the leader"));
    answers.forEach(Runnable::run);
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
    end(0, 3L);
    assertFalse(later.isDone());
    assertEquals(2, rounds.size());
    end(1, 4L);
    assertEquals(4L, later.join());
  }
}
