package io.multiconnect.master.grpc;

import io.grpc.ManagedChannel;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.master.config.PeerAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Channels from this master to the other masters' APIs: relaying to the leader, asking peers for
 * their Raft status, probing a master about to join. Keyed by address, so a moved master gets a new
 * one.
 */
public final class LeaderChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final NodeTls tls;

  public LeaderChannels(NodeTls tls) {
    this.tls = tls;
  }

  public ManagedChannel to(PeerAddress peer) {
    return to(peer.apiAddress());
  }

  /** A channel to the API at {@code host:port}. */
  public ManagedChannel to(String apiAddress) {
    return channels.computeIfAbsent(
        apiAddress, a -> Endpoints.channel(a, tls, PeerCheck.role(NodeIdentity.Role.MASTER)));
  }

  /**
   * A new channel to the API at {@code host:port} that connects only to {@code master}; the caller
   * shuts it down.
   */
  public ManagedChannel toMaster(String apiAddress, String master) {
    return Endpoints.channel(apiAddress, tls, PeerCheck.node(NodeIdentity.Role.MASTER, master));
  }

  @Override
  public void close() {
    Endpoints.shutdown(channels.values());
  }
}
