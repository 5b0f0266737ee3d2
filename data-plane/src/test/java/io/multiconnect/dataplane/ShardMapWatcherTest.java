package io.multiconnect.dataplane;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.auth.ApiAccess;
import io.multiconnect.common.net.LoopbackPorts;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.Progress;
import io.multiconnect.proto.v1.ShardMap;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The webapp's watcher against masters that stay alive at the transport level but send nothing
 * (stopped handling, holding the watcher back) or only progress, over real gRPC on loopback. The
 * real masters' side is in WatchAndRelayTest and WatchHubTest.
 */
@Tag("slow")
class ShardMapWatcherTest {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<Server> servers = new ArrayList<>();

  /** A master stand-in whose map is at {@code version}; sends progress every 100 ms if asked. */
  private final class Master extends ControlPlaneGrpc.ControlPlaneImplBase {
    final long version;
    final boolean progress;

    /** The from_version of each Watch call, in order. */
    final List<Long> watches = new CopyOnWriteArrayList<>();

    Master(long version, boolean progress) {
      this.version = version;
      this.progress = progress;
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<WatchEvent> out) {
      watches.add(request.getFromVersion());
      ServerCallStreamObserver<WatchEvent> call = (ServerCallStreamObserver<WatchEvent>) out;
      ShardMap map = ShardMap.newBuilder().setVersion(version).setShardCount(2).build();
      call.onNext(WatchEvent.newBuilder().setVersion(version).setSnapshot(map).build());
      if (progress) {
        WatchEvent alive =
            WatchEvent.newBuilder()
                .setVersion(version)
                .setProgress(Progress.getDefaultInstance())
                .build();
        timer.scheduleWithFixedDelay(
            () -> {
              if (!call.isCancelled()) {
                call.onNext(alive);
              }
            },
            100,
            100,
            TimeUnit.MILLISECONDS);
      }
    }

    String serve() throws Exception {
      int port = LoopbackPorts.next();
      servers.add(
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
              .addService(this)
              .build()
              .start());
      return "127.0.0.1:" + port;
    }
  }

  @AfterEach
  void stop() {
    timer.shutdownNow();
    servers.forEach(Server::shutdownNow);
  }

  /** A started watcher whose list of masters is {@code first}, then {@code second}. */
  private static ShardMapWatcher watching(Master first, Master second) throws Exception {
    return new ShardMapWatcher(List.of(first.serve(), second.serve()), "test", TestTls.PLAINTEXT)
        .start();
  }

  @Test
  void aWaitForANewerTableEndsWhenOneArrivesNotAtItsTimeout() throws Exception {
    try (ShardMapWatcher w =
        new ShardMapWatcher(List.of("127.0.0.1:1"), "waiter", TestTls.PLAINTEXT)) {
      CompletableFuture<RoutingTable> got = w.newerThan(0, Duration.ofMinutes(1), timer);
      assertFalse(got.isDone());
      w.seed(new RoutingTable(7, 1, Map.of(), "", ApiAccess.NONE));
      assertEquals(7, got.get(10, TimeUnit.SECONDS).version());
      assertEquals(
          7, w.newerThan(3, Duration.ofMinutes(1), timer).getNow(null).version(), "newer already");
      assertEquals(
          7,
          w.newerThan(7, Duration.ZERO, timer).get(10, TimeUnit.SECONDS).version(),
          "none newer: the timeout ends the wait");
    }
  }

  @Test
  void aWatcherLeavesAMasterThatFallsSilentForTheNextFromTheVersionItSaw() throws Exception {
    // The first master answers pings (gRPC keepalive would never end the stream) but sends no
    // event after the map: stuck, or cut off from the rest while its process lives.
    Master silent = new Master(5, false);
    Master next = new Master(9, true);
    try (ShardMapWatcher w = watching(silent, next)) {
      await().atMost(Duration.ofSeconds(15)).until(() -> w.table().version() == 9);
      assertEquals(List.of(0L), silent.watches);
      assertEquals(5L, next.watches.get(0));
    }
  }

  @Test
  void progressKeepsAWatcherOnAQuietMaster() throws Exception {
    Master quiet = new Master(5, true);
    Master other = new Master(9, true);
    try (ShardMapWatcher w = watching(quiet, other)) {
      await().atMost(Duration.ofSeconds(15)).until(() -> w.table().version() == 5);
      await()
          .during(ShardMapWatcher.SILENCE.multipliedBy(2))
          .atMost(ShardMapWatcher.SILENCE.multipliedBy(3))
          .until(() -> w.connected() && other.watches.isEmpty());
      assertEquals(List.of(0L), quiet.watches);
      assertEquals(5, w.table().version());
      assertEquals(2, w.table().shardCount());
    }
  }
}
