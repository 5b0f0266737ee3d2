package io.multiconnect.master.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.stub.ServerCallStreamObserver;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.proto.v1.Progress;
import io.multiconnect.proto.v1.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The hub runs on a direct executor here: every step happens inside the call that causes it. */
class WatchHubTest {
  private final WatchHub hub = new WatchHub(MoreExecutors.newDirectExecutorService());

  /** Version 1: c1 and c2 known; 2: shard 0 to c1; 3: shard 0 to c2 (after c1's epoch). */
  private static final ClusterState V1 =
      ClusterState.INITIAL
          .apply(new Command.RegisterCoreapp("c1", "c1-1", "h1:1"), 1)
          .apply(new Command.RegisterCoreapp("c2", "c2-1", "h2:1"), 1);

  private static final ClusterState V2 = V1.apply(new Command.AssignPrimary(0, "c1", 0), 2);
  private static final ClusterState V3 =
      V2.apply(new Command.AssignPrimary(0, "c2", V2.assignments().get(0).epoch()), 3);

  @Test
  void aNewWatcherGetsTheMapThenEveryChange() {
    hub.publish(V1);
    Recorder w = subscribe(0);
    hub.publish(V2);
    hub.publish(V3);
    assertEquals(List.of("snapshot@1", "delta@2:0=c1", "delta@3:0=c2"), w.seen);
  }

  @Test
  void aWatcherThatReconnectsGetsOnlyWhatItMissed() {
    hub.publish(V1);
    hub.publish(V2);
    hub.publish(V3);
    assertEquals(List.of("delta@3:0=c2"), subscribe(2).seen);
  }

  @Test
  void aWatcherAheadOfThisMasterWaitsForItInsteadOfGoingBack() {
    // This master restarted and has applied up to version 2 only; the watcher saw version 3 on
    // another master. Sending it the older map would route shard 0 back to c1.
    hub.publish(V1);
    hub.publish(V2);
    Recorder w = subscribe(3);
    assertEquals(List.of(), w.seen);
    hub.publish(V3);
    assertEquals(List.of("snapshot@3"), w.seen);
    ClusterState v4 = V3.apply(new Command.RemovePrimary(0, V3.assignments().get(0).epoch()), 4);
    hub.publish(v4);
    assertEquals(List.of("snapshot@3", "delta@4:-0"), w.seen);
  }

  @Test
  void watchersThatAreReadingHearProgressBetweenChanges() {
    hub.publish(V1);
    Recorder reading = subscribe(0);
    Recorder notReading = subscribe(0);
    notReading.ready = false;
    Recorder heldBack = subscribe(3);
    hub.sendProgress();
    hub.publish(V2);
    hub.sendProgress();
    assertEquals(List.of("snapshot@1", "progress@1", "delta@2:0=c1", "progress@2"), reading.seen);
    assertEquals(List.of("snapshot@1", "delta@2:0=c1"), notReading.seen);
    // held back until this master reaches version 3: silence lets it go to a master further ahead
    assertEquals(List.of(), heldBack.seen);
  }

  @Test
  void progressRelayedFromTheLeaderChangesNothing() {
    hub.publish(V1);
    Recorder w = subscribe(0);
    hub.relay(
        WatchEvent.newBuilder().setVersion(7).setProgress(Progress.getDefaultInstance()).build());
    hub.relay(delta(V1, V2));
    assertEquals(2, hub.version());
    assertEquals(List.of("snapshot@1", "delta@2:0=c1"), w.seen);
  }

  @Test
  void closingEndsWaitingWatchersToo() {
    hub.publish(V1);
    Recorder waiting = subscribe(5);
    Recorder current = subscribe(0);
    hub.close();
    assertTrue(waiting.completed);
    assertTrue(current.completed);
  }

  @Test
  void aChangeGoesOutOnceWhicheverSourceBringsItFirst() {
    hub.publish(V1);
    Recorder w = subscribe(0);
    hub.relay(delta(V1, V2)); // the leader's stream first
    hub.publish(V2); // then this master's own apply
    hub.publish(V3); // own apply first
    hub.relay(delta(V2, V3)); // then the leader's stream
    assertEquals(List.of("snapshot@1", "delta@2:0=c1", "delta@3:0=c2"), w.seen);
    assertEquals(3, hub.version());
  }

  @Test
  void aSnapshotFromAheadLeavesAHoleNoWatcherResumesAcross() {
    // The leader's stream starts with a snapshot at 3 while this hub has 1. Shard 0 went to c1 at
    // 2 and lost it at 3: the hub never saw 2, and 3 routes like 1, so nothing goes out now.
    ClusterState v3 = V2.apply(new Command.RemovePrimary(0, V2.assignments().get(0).epoch()), 3);
    hub.publish(V1);
    Recorder w = subscribe(0);
    hub.relay(WatchEvent.newBuilder().setVersion(3).setSnapshot(Protos.shardMap(v3)).build());
    assertEquals(List.of("snapshot@1"), w.seen);
    // A watcher that saw version 2 elsewhere (shard 0 on c1) must not resume with nothing.
    assertEquals(List.of("snapshot@3"), subscribe(2).seen);
    assertEquals(List.of(), subscribe(3).seen);
  }

  @Test
  void applyingADeltaGivesTheMapItWasComputedTo() {
    ClusterState v4 = V3.apply(new Command.SetShardCount(2), 4);
    ClusterState v5 =
        v4.apply(new Command.UpdateSettings(Duration.ofMillis(300), Duration.ofSeconds(2)), 5);
    List<ClusterState> states = List.of(V1, V2, V3, v4, v5);
    for (int i = 0; i + 1 < states.size(); i++) {
      ClusterState from = states.get(i);
      ClusterState to = states.get(i + 1);
      assertEquals(
          Protos.shardMap(to), WatchHub.applyDelta(Protos.shardMap(from), delta(from, to)));
    }
  }

  /** The event the leader's hub sends for the change from {@code from} to {@code to}. */
  private static WatchEvent delta(ClusterState from, ClusterState to) {
    return WatchEvent.newBuilder()
        .setVersion(to.version())
        .setDelta(WatchHub.delta(Protos.shardMap(from), Protos.shardMap(to)))
        .build();
  }

  private Recorder subscribe(long fromVersion) {
    Recorder r = new Recorder();
    hub.subscribe(fromVersion, r, Optional.empty());
    return r;
  }

  private Recorder subscribeAs(String caller) {
    Recorder r = new Recorder();
    hub.subscribe(0, r, Optional.of(caller));
    return r;
  }

  @Test
  void oneCallerHoldsABoundedNumberOfStreams() {
    hub.publish(V1);
    List<Recorder> mine = new ArrayList<>();
    for (int i = 0; i < WatchHub.MAX_WATCHES_PER_CALLER; i++) {
      mine.add(subscribeAs("webapp/w1"));
    }
    Recorder refused = subscribeAs("webapp/w1");
    assertEquals(List.of(), refused.seen);
    assertTrue(
        refused.error.getMessage().contains("RESOURCE_EXHAUSTED: webapp/w1 already holds 128"),
        refused.error.getMessage());
    assertEquals(List.of("snapshot@1"), subscribeAs("webapp/w2").seen, "another caller");
    assertEquals(List.of("snapshot@1"), subscribe(0).seen, "without TLS: not counted");
    mine.get(0).cancelled = true;
    assertEquals(List.of("snapshot@1"), subscribeAs("webapp/w1").seen, "one closed: room again");
  }

  @Test
  void theMasterServesABoundedNumberOfStreamsInAll() {
    hub.publish(V1);
    List<Recorder> open = new ArrayList<>();
    for (int i = 0; i < WatchHub.MAX_WATCHES; i++) {
      open.add(i % 2 == 0 ? subscribe(0) : subscribeAs("webapp/w" + i));
    }
    Recorder refused = subscribeAs("webapp/new");
    assertEquals(List.of(), refused.seen);
    assertTrue(
        refused.error.getMessage().contains("already serves 4096 Watch streams (at most 4096)"),
        refused.error.getMessage());
    assertEquals(List.of(), subscribe(0).seen, "without TLS: counted in the total");
    open.get(0).cancelled = true;
    assertEquals(List.of("snapshot@1"), subscribeAs("webapp/new").seen, "one closed: room again");
  }

  /** Writes each event as {@code snapshot@V} or {@code delta@V:shard=coreapp,...,-removed}. */
  private static final class Recorder extends ServerCallStreamObserver<WatchEvent> {
    final List<String> seen = new ArrayList<>();
    boolean completed;
    boolean ready = true;

    @Override
    public void onNext(WatchEvent e) {
      if (e.hasSnapshot() || e.hasProgress()) {
        seen.add((e.hasSnapshot() ? "snapshot@" : "progress@") + e.getVersion());
        return;
      }
      List<String> parts = new ArrayList<>();
      e.getDelta().getUpsertsList().forEach(a -> parts.add(a.getShard() + "=" + a.getCoreappId()));
      e.getDelta().getRemovedShardsList().forEach(s -> parts.add("-" + s));
      seen.add("delta@" + e.getVersion() + ":" + String.join(",", parts));
    }

    Throwable error;
    boolean cancelled;

    @Override
    public void onError(Throwable t) {
      if (error != null) {
        throw new AssertionError("the hub failed a watcher twice", t);
      }
      error = t;
    }

    @Override
    public void onCompleted() {
      completed = true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }
}
