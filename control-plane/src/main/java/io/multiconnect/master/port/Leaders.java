package io.multiconnect.master.port;

import io.multiconnect.master.config.PeerAddress;
import java.util.Optional;

/** Who leads, as this master knows it. */
public interface Leaders {

  /** This master's own leadership, while it leads and is ready. */
  Optional<Leadership> current();

  /** The API address of the leader this master knows of (possibly itself), if any. */
  Optional<PeerAddress> hint();

  /** This master's own addresses. */
  PeerAddress self();
}
