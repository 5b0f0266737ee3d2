package io.multiconnect.master.port;

import io.multiconnect.master.core.Command;
import io.multiconnect.master.raft.Proposal;

/**
 * Puts a command in the replicated log, stamped with the term of the leadership that decided it: in
 * any other term every master applies it as a no-op (docs/safety.md).
 */
@FunctionalInterface
public interface Proposer {
  Proposal propose(Command command, long term);
}
