package io.multiconnect.master.raft;

import io.multiconnect.master.core.Rejection;
import java.util.Optional;

/** The outcome of proposing one command to the log: an expected result, not an exception. */
public sealed interface Proposal {

  /** Committed and applied at {@code index}. */
  record Committed(long index) implements Proposal {}

  /** Refused by validation on the leader; nothing was logged. */
  record Rejected(Rejection rejection) implements Proposal {}

  /**
   * This master is not the leader; {@code leaderId} is the one it knows of, if any. Ratis also
   * answers so to a request it had appended before it stepped down, and the next leader may commit
   * that entry: the outcome is unknown.
   */
  record NotLeader(Optional<String> leaderId) implements Proposal {}

  /**
   * Logged by a leader of another term than the one that decided it, and applied by every master as
   * a no-op (MasterStateMachine): it took no effect.
   */
  record Stale() implements Proposal {}

  /** Timed out or failed in transit: the command may or may not have been committed. */
  record Failed(String reason) implements Proposal {}
}
