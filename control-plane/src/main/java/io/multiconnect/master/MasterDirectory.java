package io.multiconnect.master;

import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.Master;
import io.multiconnect.master.port.Membership;
import io.multiconnect.master.port.StateView;
import io.multiconnect.master.raft.RaftAccess;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where each master is: from the replicated directory of masters added at run time, else from this
 * master's configuration; and the Raft group's membership as this master's server knows it.
 */
final class MasterDirectory implements Membership {
  private final MasterConfig config;
  private final StateView state;
  private final RaftAccess raft;

  MasterDirectory(MasterConfig config, StateView state, RaftAccess raft) {
    this.config = config;
    this.state = state;
    this.raft = raft;
  }

  /** A master's addresses, if this master knows them. */
  Optional<PeerAddress> peer(String id) {
    Master added = state.state().masters().get(id);
    if (added != null) {
      return Optional.of(PeerAddress.of(added));
    }
    return config.peers().stream().filter(p -> p.id().equals(id)).findFirst();
  }

  /** The API address of the leader this master knows of, if any. */
  Optional<PeerAddress> leaderHint() {
    return raft.leaderId().flatMap(this::peer);
  }

  @Override
  public List<PeerAddress> members() {
    return raft.currentPeerIds().stream()
        .sorted()
        .map(this::peer)
        .flatMap(Optional::stream)
        .toList();
  }

  @Override
  public List<String> currentPeerIds() {
    return raft.currentPeerIds();
  }

  @Override
  public Map<String, String> currentRaftAddresses() {
    return raft.currentRaftAddresses();
  }

  @Override
  public Optional<String> setConfiguration(Map<String, String> peers) {
    return raft.setConfiguration(peers);
  }
}
