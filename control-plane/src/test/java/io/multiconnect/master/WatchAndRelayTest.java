package io.multiconnect.master;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.grpc.WatchHub;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Watch stream from any master, and heartbeats relayed by a follower. */
@Tag("slow")
class WatchAndRelayTest {
  @TempDir Path dir;
  private MiniCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = MiniCluster.start(3, dir, 10_000);
    cluster.awaitLeader(Duration.ofSeconds(15));
  }

  @AfterEach
  void stop() throws InterruptedException {
    cluster.close();
  }

  /** Collects a watch stream's events until cancelled, progress apart. */
  private static final class Watcher implements StreamObserver<WatchEvent> {
    final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    final List<WatchEvent> progress = new CopyOnWriteArrayList<>();
    final Context.CancellableContext context = Context.current().withCancellation();

    @Override
    public void onNext(WatchEvent e) {
      (e.hasProgress() ? progress : events).add(e);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    long lastVersion() {
      return events.get(events.size() - 1).getVersion();
    }
  }

  private Watcher watch(int master, long fromVersion) {
    Watcher w = new Watcher();
    ControlPlaneGrpc.ControlPlaneStub stub = ControlPlaneGrpc.newStub(cluster.channel(master));
    w.context.run(
        () ->
            stub.watch(
                WatchRequest.newBuilder().setFromVersion(fromVersion).setWatcherId("test").build(),
                w));
    return w;
  }

  private void setHeartbeat(long ms) {
    cluster
        .admin(cluster.leaderIndex().orElseThrow())
        .updateSettings(UpdateSettingsRequest.newBuilder().setHeartbeatIntervalMs(ms).build());
  }

  @Test
  void aWatcherGetsTheFullMapThenEveryChangeAndCanResume() {
    int follower = cluster.anyFollower();
    // The new cluster's token key changes the map too (its public keys): once, before the test.
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .until(() -> !cluster.node(follower).state().tokenPublicKeys().isEmpty());
    Watcher w = watch(follower, 0);
    await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> w.events.size() == 1);
    assertTrue(w.events.get(0).hasSnapshot(), "the first event is a full snapshot");

    setHeartbeat(700);
    setHeartbeat(800);
    await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> w.events.size() == 3);
    assertTrue(w.events.get(1).hasDelta());
    assertEquals(700, w.events.get(1).getDelta().getSettings().getHeartbeatIntervalMs());
    assertEquals(800, w.events.get(2).getDelta().getSettings().getHeartbeatIntervalMs());
    assertTrue(w.events.get(2).getVersion() > w.events.get(1).getVersion(), "versions increase");

    // Resume from the first change: only what came after it, no snapshot.
    long resumeFrom = w.events.get(1).getVersion();
    w.context.cancel(null);
    setHeartbeat(900);
    Watcher resumed = watch(cluster.leaderIndex().orElseThrow(), resumeFrom);
    await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> resumed.events.size() == 2);
    assertTrue(resumed.events.stream().allMatch(WatchEvent::hasDelta));
    assertEquals(800, resumed.events.get(0).getDelta().getSettings().getHeartbeatIntervalMs());
    assertEquals(900, resumed.events.get(1).getDelta().getSettings().getHeartbeatIntervalMs());
    // Between changes the master says it is alive and how far it has got.
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(5)))
        .until(
            () -> resumed.progress.stream().anyMatch(p -> p.getVersion() >= resumed.lastVersion()));

    // A version newer than this master has applied (seen on another master, say): nothing until
    // the master reaches it, then the map; the watcher's routing never goes back. Not even
    // progress: that silence lets a real watcher go to a master further ahead.
    long ahead = cluster.node(follower).state().version() + 1;
    Watcher early = watch(follower, ahead);
    await()
        .during(WatchHub.PROGRESS_INTERVAL.multipliedBy(3))
        .atMost(Timing.scaled(Duration.ofSeconds(4)))
        .until(() -> early.events.isEmpty() && early.progress.isEmpty());
    setHeartbeat(1000);
    await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> !early.events.isEmpty());
    assertTrue(early.events.get(0).hasSnapshot());
    assertTrue(early.events.get(0).getVersion() >= ahead);
    assertEquals(1000, early.events.get(0).getSnapshot().getSettings().getHeartbeatIntervalMs());
    resumed.context.cancel(null);
    early.context.cancel(null);
  }

  @Test
  void aCoreappThatReachesOnlyAFollowerKeepsItsLeaseThroughTheRelay() throws Exception {
    cluster
        .admin(cluster.leaderIndex().orElseThrow())
        .updateSettings(
            UpdateSettingsRequest.newBuilder()
                .setHeartbeatIntervalMs(100)
                .setUnhealthyIntervalMs(1000)
                .build());
    PeerAddress follower = cluster.peers.get(cluster.anyFollower());
    try (TestCoreapp c = new TestCoreapp("only-follower", List.of(follower)).start()) {
      await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> c.active().isPresent());
      long epoch = c.active().orElseThrow().epoch();
      // Several unhealthy intervals later it is still primary of the same epoch, never replaced.
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(5)))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                assertEquals(epoch, c.active().orElseThrow().epoch());
                return System.nanoTime() > until;
              });
    }
  }

  /** A heartbeat stream's answers and how it ended. */
  private static final class Answers implements StreamObserver<HeartbeatResponse> {
    final List<HeartbeatResponse> got = new CopyOnWriteArrayList<>();
    volatile Throwable error;
    volatile boolean completed;

    @Override
    public void onNext(HeartbeatResponse r) {
      got.add(r);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {
      completed = true;
    }

    java.util.Set<Long> sequences() {
      return got.stream()
          .map(HeartbeatResponse::getSequence)
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private static HeartbeatRequest beat(String id, long sequence) {
    return HeartbeatRequest.newBuilder()
        .setCoreappId(id)
        .setIncarnation("streamer-1")
        .setSequence(sequence)
        .build();
  }

  /**
   * Opens a heartbeat stream to {@code master}, sends heartbeats {@code from..to} of "streamer" on
   * it and waits until each was answered once.
   */
  private StreamObserver<HeartbeatRequest> sendAndAwait(
      int master, Answers answers, long from, long to) {
    StreamObserver<HeartbeatRequest> stream =
        ControlPlaneGrpc.newStub(cluster.channel(master)).heartbeatStream(answers);
    for (long k = from; k <= to; k++) {
      stream.onNext(beat("streamer", k));
    }
    int n = (int) (to - from + 1);
    await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> answers.got.size() == n);
    assertEquals(
        java.util.stream.LongStream.rangeClosed(from, to)
            .boxed()
            .collect(java.util.stream.Collectors.toSet()),
        answers.sequences());
    return stream;
  }

  /**
   * Ids reach logs, metric labels and certificates, zones the state and labels too: a registration
   * with another id or zone is refused.
   */
  @Test
  void aCoreappIdOrZoneOutsideTheIdAlphabetIsRefusedAtTheDoor() {
    RegisterRequest valid =
        RegisterRequest.newBuilder()
            .setCoreappId("c1")
            .setIncarnation("i-1")
            .setAddress("h:1")
            .build();
    for (String id : List.of("c1\nforged log line", "", "-c1", "x".repeat(65))) {
      assertRefusedNaming("coreapp_id", valid.toBuilder().setCoreappId(id).build());
    }
    for (String zone : List.of("rack 1", "-a", "z".repeat(65))) {
      assertRefusedNaming("zone", valid.toBuilder().setZone(zone).build());
    }
  }

  private void assertRefusedNaming(String field, RegisterRequest request) {
    int leader = cluster.leaderIndex().orElseThrow();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> ControlPlaneGrpc.newBlockingStub(cluster.channel(leader)).register(request));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), request.toString());
    assertTrue(e.getStatus().getDescription().contains(field), e.getStatus().toString());
  }

  /**
   * Every heartbeat on a stream gets its own answer, from the leader directly or relayed by a
   * follower; a heartbeat a call would refuse ends the stream with that status.
   */
  @Test
  void heartbeatsOnOneStreamAreEachAnsweredDirectlyOrRelayed() {
    int leader = cluster.leaderIndex().orElseThrow();
    ControlPlaneGrpc.newBlockingStub(cluster.channel(leader))
        .register(
            RegisterRequest.newBuilder()
                .setCoreappId("streamer")
                .setIncarnation("streamer-1")
                .setAddress("h:1")
                .build());

    Answers direct = new Answers();
    StreamObserver<HeartbeatRequest> toLeader = sendAndAwait(leader, direct, 1, 50);
    assertTrue(direct.got.stream().allMatch(r -> r.getShardCount() == 1), direct.got.toString());
    assertEquals(cluster.peers.get(leader).id(), direct.got.get(49).getLeader().getLeaderId());

    Answers relayed = new Answers();
    StreamObserver<HeartbeatRequest> toFollower =
        sendAndAwait(cluster.anyFollower(), relayed, 51, 60);

    // A heartbeat without a coreapp id is refused: the stream ends with the call's status.
    toLeader.onNext(beat("", 61));
    await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> direct.error != null);
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(direct.error).getCode());
    assertEquals(50, direct.got.size());

    // Closing its side ends the stream cleanly.
    toFollower.onCompleted();
    await().atMost(Timing.scaled(Duration.ofSeconds(5))).until(() -> relayed.completed);
  }
}
