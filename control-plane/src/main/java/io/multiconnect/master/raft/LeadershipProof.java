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
 * <p>A round's callers are answered on {@code answers}, after the next round has started: what they
 * do with the proof (a heartbeat's answer) neither delays the next round nor runs on the thread
 * that submits rounds. With a thousand heartbeats waiting on one round, answering them in line took
 * longer than the read itself, and every round waited for the previous one's answers.
 *
 * <p>When this master learns that another one leads, {@link #abandon} answers every waiting caller
 * -1 at once: a read that cannot prove leadership any more would otherwise hold them until it times
 * out (3 s in Ratis, longer than a coreapp waits for its heartbeat's answer).
 */
final class LeadershipProof {
  private final Supplier<CompletableFuture<Long>> round;
  private final Executor answers;
  private CompletableFuture<Long> inFlight;
  private CompletableFuture<Long> next;

  LeadershipProof(Supplier<CompletableFuture<Long>> round, Executor answers) {
    this.round = round;
    this.answers = answers;
  }

  /** A proof from a round that starts at or after this call. */
  synchronized CompletableFuture<Long> afterNow() {
    CompletableFuture<Long> waiting = next;
    if (waiting == null) {
      waiting = new CompletableFuture<>();
      next = waiting;
      if (inFlight == null) {
        startNext();
      }
    }
    return waiting;
  }

  private synchronized void startNext() {
    CompletableFuture<Long> mine = next;
    inFlight = mine;
    next = null;
    round
        .get()
        .whenComplete(
            (term, error) -> {
              synchronized (this) {
                // Unless abandoned (a later round may already be in flight).
                if (inFlight == mine) {
                  inFlight = null;
                  if (next != null) {
                    startNext();
                  }
                }
              }
              long proven = error == null ? term : -1L;
              try {
                answers.execute(() -> mine.complete(proven));
              } catch (RejectedExecutionException closing) {
                mine.complete(proven);
              }
            });
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
