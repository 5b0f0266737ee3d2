package io.multiconnect.master.port;

import io.multiconnect.master.core.Command;
import io.multiconnect.master.raft.Proposal;

/** Puts a command in the replicated log, stamped with the term it was decided in. */
@FunctionalInterface
public interface Proposer {
  Proposal propose(Command command);
}
