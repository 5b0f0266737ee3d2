package io.multiconnect.master.raft;

import io.multiconnect.master.core.Rejection;
import java.util.Optional;

/** The outcome of proposing one command to the log: an expected result, not an exception. */
public sealed interface Proposal {

  /** Committed and applied at {@code index}. */
  record Committed(long index) implements Proposal {}

  /** Refused by validation on the leader; nothing was logged. */
  record Rejected(Rejection rejection) implements Proposal {}

  /** This master is not the leader; {@code leaderId} is the one it knows of, if any. */
  record NotLeader(Optional<String> leaderId) implements Proposal {}

  /** Timed out or failed in transit: the command may or may not have been committed. */
  record Failed(String reason) implements Proposal {}
}
