package io.multiconnect.master.grpc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A follower's hub fed by the leader's Watch stream over real gRPC: two "masters" serve Watch from
 * hubs of their own, the follower's hub applies nothing itself.
 */
@Tag("slow")
class LeaderFeedTest {
  private static final ClusterState V1 =
      ClusterState.INITIAL
          .apply(new Command.RegisterCoreapp("c1", "c1-1", "h1:1"), 1)
          .apply(new Command.RegisterCoreapp("c2", "c2-1", "h2:1"), 1);
  private static final ClusterState V2 = V1.apply(new Command.AssignPrimary(0, "c1", 0), 2);
  private static final ClusterState V3 = settings(V2, 300, 3);
  private static final ClusterState V4 = settings(V3, 400, 4);

  /** A routing change at {@code version}: another heartbeat interval. */
  private static ClusterState settings(ClusterState from, long heartbeatMs, long version) {
    return from.apply(
        new Command.UpdateSettings(Duration.ofMillis(heartbeatMs), Duration.ofSeconds(5)), version);
  }

  private final Deque<AutoCloseable> open = new ArrayDeque<>();
  private final AtomicReference<Optional<PeerAddress>> leader =
      new AtomicReference<>(Optional.empty());
  private final WatchHub follower = closing(new WatchHub());
  private final LeaderChannels channels = closing(new LeaderChannels(TestTls.PLAINTEXT));
  private final LeaderFeed feed = closing(new LeaderFeed("f", leader::get, channels, follower));

  @AfterEach
  void close() throws Exception {
    while (!open.isEmpty()) {
      open.pop().close();
    }
  }

  @Test
  void theFollowersHubGetsWhatTheLeaderApplies() throws IOException {
    Master a = startLedBy("a");
    a.hub.publish(V2);
    awaitFollowerAt(2);

    // The leader changes and the old one is gone: the feed follows the new one.
    Master b = new Master("b", 0);
    b.hub.publish(V2);
    a.stop();
    leader.set(Optional.of(b.address()));
    feed.leaderChanged();
    b.hub.publish(V3);
    awaitFollowerAt(3);

    // The stream breaks (the leader's API restarts on the same port): the next check reopens it.
    b.stop();
    Master again = new Master("b", b.port, b.hub);
    again.hub.publish(V4);
    awaitFollowerAt(4);
  }

  @Test
  void aMasterThatLeadsFollowsNoOne() throws IOException {
    Master self = startLedBy("f");
    self.hub.publish(V2);
    // Then another master leads: once its change arrives, the checks made while this one led
    // have run (one thread, in order), and none of them opened a stream to itself.
    Master other = new Master("a", 0);
    other.hub.publish(V3);
    leader.set(Optional.of(other.address()));
    feed.leaderChanged();
    awaitFollowerAt(3);
    assertEquals(0, self.watchCalls);
  }

  /** Both hubs at V1, {@code leaderId} leads, the feed started. */
  private Master startLedBy(String leaderId) throws IOException {
    Master m = new Master(leaderId, 0);
    m.hub.publish(V1);
    follower.publish(V1);
    leader.set(Optional.of(m.address()));
    feed.start();
    return m;
  }

  private void awaitFollowerAt(long version) {
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> follower.version() == version);
  }

  private <T extends AutoCloseable> T closing(T c) {
    open.push(c);
    return c;
  }

  /** A master's API reduced to Watch, served from a hub of its own on a loopback port. */
  private final class Master {
    final String id;
    final WatchHub hub;
    final Server server;
    final int port;
    volatile int watchCalls;

    Master(String id, int port) throws IOException {
      this(id, port, closing(new WatchHub()));
    }

    Master(String id, int port, WatchHub hub) throws IOException {
      this.id = id;
      this.hub = hub;
      this.server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
              .addService(
                  new ControlPlaneGrpc.ControlPlaneImplBase() {
                    @Override
                    public void watch(WatchRequest request, StreamObserver<WatchEvent> out) {
                      watchCalls++;
                      hub.subscribe(
                          request.getFromVersion(),
                          (ServerCallStreamObserver<WatchEvent>) out,
                          java.util.Optional.empty());
                    }
                  })
              .build()
              .start();
      this.port = server.getPort();
      open.push(this::stop);
    }

    PeerAddress address() {
      return new PeerAddress(id, "127.0.0.1", 1, port);
    }

    void stop() {
      server.shutdownNow();
    }
  }
}
