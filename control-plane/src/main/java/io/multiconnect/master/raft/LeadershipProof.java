package io.multiconnect.master.raft;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Proves that this master is still the Raft leader at a moment after a given event, by a
 * linearizable read (Ratis ReadIndex, answered from the leader lease when it is valid). Rounds are
 * coalesced: every caller waiting since before a round started shares that round, so thousands of
 * heartbeats a second cost one proof per round trip, never more than one proof in flight.
 *
 * <p>A caller gets a round that starts no earlier than its call: the proof therefore covers the
 * instant the caller's event happened. The future yields the leader's term, or -1 when this master
 * is not the leader.
 *
 * <p>A caller that finds no round in flight runs one on its own thread. While the leader lease is
 * valid, Ratis answers the read before returning it, and the caller is answered then and there: no
 * thread hand-off between a heartbeat's receipt and its answer, where each one cost milliseconds on
 * a busy machine. Callers who came during such a round get the next one on the same thread, up to
 * {@link #INLINE_ROUNDS} rounds; the rest goes to {@code submitter}.
 *
 * <p>A round that is not answered at once (the lease lapsed: the read waits for the followers)
 * completes on a Ratis thread. The next round is then submitted on {@code submitter}, never on that
 * thread (a read submitted there stalled for good), and the round's callers are answered on {@code
 * answers}, after the next round has started: what they do with the proof (a heartbeat's answer)
 * neither delays the next round nor runs on Ratis's thread. With a thousand heartbeats waiting on
 * one slow round, answering them in line took longer than the read itself.
 *
 * <p>When this master learns that another one leads, {@link #abandon} answers every waiting caller
 * -1 at once: a read that cannot prove leadership any more would otherwise hold them until it times
 * out (3 s in Ratis, longer than a coreapp waits for its heartbeat's answer).
 */
final class LeadershipProof {
  /** Rounds one thread runs back to back before it hands the next one to the submitter. */
  static final int INLINE_ROUNDS = 4;

  private final Supplier<CompletableFuture<Long>> round;
  private final Executor submitter;
  private final Executor answers;
  private CompletableFuture<Long> inFlight;
  private CompletableFuture<Long> next;

  /**
   * @param round starts one read on the calling thread
   * @param submitter where a round is started when the caller's thread cannot run it
   * @param answers where the callers of a round that completed later are answered
   */
  LeadershipProof(Supplier<CompletableFuture<Long>> round, Executor submitter, Executor answers) {
    this.round = round;
    this.submitter = submitter;
    this.answers = answers;
  }

  /** A proof from a round that starts at or after this call. */
  CompletableFuture<Long> afterNow() {
    CompletableFuture<Long> mine = new CompletableFuture<>();
    synchronized (this) {
      if (inFlight != null) {
        if (next == null) {
          next = mine;
        }
        return next;
      }
      inFlight = mine;
    }
    run(mine, INLINE_ROUNDS);
    return mine;
  }

  /**
   * Runs round {@code first}, already in flight, on this thread; while rounds are proven at once,
   * goes on with the next, {@code budget} rounds at most.
   */
  private void run(CompletableFuture<Long> first, int budget) {
    CompletableFuture<Long> mine = first;
    for (int left = budget; ; left--) {
      CompletableFuture<Long> read = startRound();
      if (!read.isDone()) {
        CompletableFuture<Long> waiting = mine;
        read.whenComplete((term, error) -> completedLater(waiting, proven(term, error)));
        return;
      }
      // Answered before the next round is taken: a caller who calls again from its answer (on this
      // thread) joins that round instead of starting one inside this one.
      mine.complete(read.handle(LeadershipProof::proven).join());
      CompletableFuture<Long> following = take(mine);
      if (following == null) {
        return;
      }
      if (left == 1) {
        submit(following);
        return;
      }
      mine = following;
    }
  }

  private CompletableFuture<Long> startRound() {
    try {
      return round.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static long proven(Long term, Throwable error) {
    return error == null ? term : -1L;
  }

  /**
   * Round {@code done} has ended: unless it was abandoned, the round of the callers waiting since
   * is now in flight, and returned to be started.
   */
  private synchronized CompletableFuture<Long> take(CompletableFuture<Long> done) {
    if (inFlight != done) {
      return null; // Abandoned: a later round may already be in flight.
    }
    inFlight = next;
    next = null;
    return inFlight;
  }

  private void completedLater(CompletableFuture<Long> mine, long proven) {
    CompletableFuture<Long> following = take(mine);
    if (following != null) {
      submit(following);
    }
    try {
      answers.execute(() -> mine.complete(proven));
    } catch (RejectedExecutionException closing) {
      mine.complete(proven);
    }
  }

  private void submit(CompletableFuture<Long> following) {
    try {
      submitter.execute(() -> run(following, INLINE_ROUNDS));
    } catch (RejectedExecutionException closing) {
      abandon();
    }
  }

  /** Answers -1 to every caller waiting now; later callers get a fresh round. */
  synchronized void abandon() {
    if (inFlight != null) {
      inFlight.complete(-1L);
    }
    if (next != null) {
      next.complete(-1L);
    }
    inFlight = null;
    next = null;
  }
}
