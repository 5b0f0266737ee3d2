package io.multiconnect.master.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.multiconnect.master.config.PeerAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Channels from this master to the other masters' APIs: relaying to the leader, asking peers for
 * their Raft status, probing a master about to join. Keyed by address, so a moved master gets a new
 * one.
 */
public final class LeaderChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public ManagedChannel to(PeerAddress peer) {
    return to(peer.apiAddress());
  }

  /** A channel to the API at {@code host:port}. */
  public ManagedChannel to(String apiAddress) {
    return channels.computeIfAbsent(
        apiAddress,
        a -> {
          PeerAddress.HostPort hp = PeerAddress.HostPort.parse(a);
          return NettyChannelBuilder.forAddress(hp.host(), hp.port()).usePlaintext().build();
        });
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
