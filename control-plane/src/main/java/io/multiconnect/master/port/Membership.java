package io.multiconnect.master.port;

import io.multiconnect.master.config.PeerAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The masters of the Raft group, and changes to it. */
public interface Membership {

  /** The masters of the current configuration, by id, with their addresses. */
  List<PeerAddress> members();

  /** Ids of the masters in the current configuration (the joint one during a change). */
  List<String> currentPeerIds();

  /** The Raft address of every member of the current configuration, by id. */
  Map<String, String> currentRaftAddresses();

  /**
   * Replaces the configuration with {@code peers} ({@code id -> host:raftPort}); an error text, or
   * empty once done.
   */
  Optional<String> setConfiguration(Map<String, String> peers);
}
