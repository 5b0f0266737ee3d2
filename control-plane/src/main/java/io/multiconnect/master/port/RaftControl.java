package io.multiconnect.master.port;

import io.multiconnect.master.raft.RaftAccess;
import java.io.IOException;
import java.util.Optional;

/** What an operator asks of this master's Raft server itself. */
public interface RaftControl {

  /** This server's role, term, commit and applied index. */
  RaftAccess.LocalStatus localStatus();

  long currentTerm();

  /** Hands leadership to {@code target}; an error text, or empty on success. */
  Optional<String> transferLeadership(String target, long timeoutMs);

  /** Takes a snapshot on this server; returns the index it covers. */
  long takeSnapshot(long timeoutMs) throws IOException;
}
