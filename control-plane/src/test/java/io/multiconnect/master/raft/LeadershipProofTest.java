package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Rounds are futures the test completes by hand (as Ratis completes a read that waited for the
 * followers), and callers are answered when the test runs the queued answers; or rounds are proven
 * at once (from the leader lease). No Raft, no waiting.
 */
class LeadershipProofTest {
  private final List<CompletableFuture<Long>> rounds = new ArrayList<>();
  private final Deque<Runnable> answers = new ArrayDeque<>();
  private final AtomicInteger submitted = new AtomicInteger();
  private final LeadershipProof proof =
      new LeadershipProof(
          () -> {
            CompletableFuture<Long> round = new CompletableFuture<>();
            rounds.add(round);
            return round;
          },
          r -> {
            submitted.incrementAndGet();
            r.run();
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
    assertEquals(1, submitted.get(), "submitted on the submitter, not on the thread of the read");
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

  @Test
  void aRoundProvenAtOnceAnswersItsCallerOnTheCallersThread() {
    List<Runnable> handedOff = new ArrayList<>();
    LeadershipProof atOnce =
        new LeadershipProof(
            () -> CompletableFuture.completedFuture(7L), handedOff::add, handedOff::add);
    assertEquals(7L, atOnce.afterNow().getNow(null));
    assertTrue(handedOff.isEmpty(), "no thread hand-off");
  }

  @Test
  void callersDuringRoundsProvenAtOnceGetTheNextRoundsOnTheSameThreadUpToTheBudget() {
    // While each round runs, one more heartbeat calls (as on another thread).
    AtomicReference<LeadershipProof> chained = new AtomicReference<>();
    List<CompletableFuture<Long>> callers = new ArrayList<>();
    Deque<Runnable> submissions = new ArrayDeque<>();
    AtomicInteger reads = new AtomicInteger();
    chained.set(
        new LeadershipProof(
            () -> {
              reads.incrementAndGet();
              callers.add(chained.get().afterNow());
              return CompletableFuture.completedFuture(7L);
            },
            submissions::add,
            r -> {
              throw new AssertionError("rounds proven at once answer in line");
            }));

    CompletableFuture<Long> first = chained.get().afterNow();
    assertEquals(7L, first.getNow(null));
    assertEquals(LeadershipProof.INLINE_ROUNDS, reads.get());
    for (int i = 0; i < LeadershipProof.INLINE_ROUNDS - 1; i++) {
      assertEquals(7L, callers.get(i).getNow(null), "caller during round " + (i + 1));
    }
    CompletableFuture<Long> overBudget = callers.get(LeadershipProof.INLINE_ROUNDS - 1);
    assertFalse(overBudget.isDone(), "its round goes to the submitter");
    assertEquals(1, submissions.size());

    submissions.poll().run();
    assertEquals(7L, overBudget.getNow(null));
    assertEquals(2 * LeadershipProof.INLINE_ROUNDS, reads.get());
  }

  @Test
  void aCallerWhoCallsAgainFromItsAnswerJoinsTheNextRoundInsteadOfNestingOne() {
    // A caller that came during a round is answered on the round's thread; when its answer asks
    // for another proof, a round started right there would run inside this one, one level deeper
    // on the stack for each link of the chain.
    AtomicInteger reads = new AtomicInteger();
    Deque<Runnable> submissions = new ArrayDeque<>();
    int chain = 20;
    List<Long> proven = new ArrayList<>();
    Runnable[] ask = new Runnable[1];
    LeadershipProof atOnce =
        new LeadershipProof(
            () -> {
              if (reads.incrementAndGet() == 1) {
                ask[0].run(); // as from another thread, during the first round
              }
              return CompletableFuture.completedFuture((long) reads.get());
            },
            submissions::add,
            r -> {
              throw new AssertionError("rounds proven at once answer in line");
            });
    ask[0] =
        () ->
            atOnce
                .afterNow()
                .thenAccept(
                    term -> {
                      proven.add(term);
                      if (proven.size() < chain) {
                        ask[0].run();
                      }
                    });

    assertEquals(1L, atOnce.afterNow().getNow(null));
    assertEquals(LeadershipProof.INLINE_ROUNDS, reads.get(), "rounds run before the call returned");
    assertEquals(1, submissions.size(), "the rest goes to the submitter");
    for (int i = 0; i < chain && !submissions.isEmpty(); i++) {
      submissions.poll().run();
    }
    assertEquals(chain, proven.size());
    assertEquals(chain + 1, reads.get(), "one round for each call");
  }

  @Test
  void aReadThatThrowsProvesNothingAndTheNextCallerGetsAFreshRound() {
    AtomicInteger reads = new AtomicInteger();
    LeadershipProof throwing =
        new LeadershipProof(
            () -> {
              if (reads.incrementAndGet() == 1) {
                throw new IllegalStateException("server closing");
              }
              return CompletableFuture.completedFuture(7L);
            },
            Runnable::run,
            Runnable::run);
    assertEquals(-1L, throwing.afterNow().getNow(null));
    assertEquals(7L, throwing.afterNow().getNow(null));
  }
}
