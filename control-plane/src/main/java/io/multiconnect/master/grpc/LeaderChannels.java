package io.multiconnect.master.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.multiconnect.master.config.PeerAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Channels from this master to the other masters' APIs, for relaying to the leader. */
public final class LeaderChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final List<PeerAddress> peers;

  public LeaderChannels(List<PeerAddress> peers) {
    this.peers = List.copyOf(peers);
  }

  /** A channel to the master's API address (keyed by address, so a moved master gets a new one). */
  public ManagedChannel to(PeerAddress peer) {
    return channels.computeIfAbsent(
        peer.apiAddress(),
        id -> NettyChannelBuilder.forAddress(peer.host(), peer.apiPort()).usePlaintext().build());
  }

  public List<PeerAddress> peers() {
    return peers;
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels.values()) {
      try {
        c.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
