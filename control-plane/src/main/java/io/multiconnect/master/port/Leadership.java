package io.multiconnect.master.port;

import io.multiconnect.master.core.Coordinator;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One leadership of this master: made when Ratis reports it ready as leader of {@link #term} (every
 * earlier entry applied), {@linkplain #end ended} when another master leads. It carries the term
 * every proposal of this leadership is stamped with, the {@link Coordinator} that decides while it
 * lasts, and the proof that it still holds. Nothing outlives it: a later leadership of the same
 * master is a new object, with a new coordinator and a new grace period.
 */
public final class Leadership {
  private final long term;
  private final Coordinator coordinator;
  private final Supplier<CompletableFuture<Long>> proofOfTerm;

  /**
   * @param term a Raft term: 1 or more, so that no failed proof (-1) can equal it
   * @param proofOfTerm a linearizable read started after the call, yielding the term this master
   *     leads in at its moment, or -1 when it does not lead
   */
  public Leadership(
      long term, Coordinator coordinator, Supplier<CompletableFuture<Long>> proofOfTerm) {
    if (term < 1) {
      throw new IllegalArgumentException("a leadership's term is 1 or more, got " + term);
    }
    this.term = term;
    this.coordinator = coordinator;
    this.proofOfTerm = proofOfTerm;
  }

  public long term() {
    return term;
  }

  public Coordinator coordinator() {
    return coordinator;
  }

  /** Whether this leadership has not ended. */
  public boolean isCurrent() {
    return coordinator.isLeading();
  }

  /**
   * True when this leadership still held at a moment after this call and has not ended since: the
   * proof a lease grant for a heartbeat received before the call needs (docs/safety.md).
   */
  public CompletableFuture<Boolean> prove() {
    return proofOfTerm.get().thenApply(proven -> proven == term && isCurrent());
  }

  /** Another master leads: this leadership grants no lease and plans nothing any more. */
  public void end() {
    coordinator.end();
  }

  @Override
  public String toString() {
    return "Leadership[term " + term + (isCurrent() ? "" : ", ended") + "]";
  }
}
