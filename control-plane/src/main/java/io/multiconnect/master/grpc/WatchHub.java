package io.multiconnect.master.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMap;
import io.multiconnect.proto.v1.ShardMapDelta;
import io.multiconnect.proto.v1.WatchEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Publishes the shard map to watchers: a full snapshot when one subscribes, then one delta per
 * applied entry that changed routing (shard count, a primary, an epoch, an address, settings), each
 * tagged with its Raft index. Keeps the last {@link #HISTORY} deltas so a watcher that reconnects
 * with the version it last saw gets only what it missed.
 *
 * <p>A watcher that already saw a newer version than this master has applied (it comes from a
 * master further ahead, say after this one restarted) is sent nothing until this master's map
 * reaches that version, then the map: an older snapshot would take its routing back in time.
 *
 * <p>Runs on its own single thread: the state machine only enqueues (never blocks in apply), and
 * every watcher sees events in version order.
 */
public final class WatchHub implements AutoCloseable {
  static final int HISTORY = 1024;

  private final ExecutorService executor;
  private final Deque<WatchEvent> history = new ArrayDeque<>();

  /** Every routing change after this version is in {@link #history}. */
  private long completeSince = Long.MAX_VALUE;

  private final List<ServerCallStreamObserver<WatchEvent>> watchers = new ArrayList<>();

  /** Watchers ahead of {@link #latest}, with the version each has seen. */
  private final Map<ServerCallStreamObserver<WatchEvent>, Long> ahead = new HashMap<>();

  private ShardMap latest;

  public WatchHub() {
    this(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "watch-hub");
              t.setDaemon(true);
              return t;
            }));
  }

  /** Runs every step on {@code executor}, which must run one task at a time in order. */
  WatchHub(ExecutorService executor) {
    this.executor = executor;
  }

  /** Hands the state to the hub's thread; returns at once. */
  public void publish(ClusterState state) {
    ShardMap map = Protos.shardMap(state);
    try {
      executor.execute(() -> onMap(map));
    } catch (RejectedExecutionException closed) {
      // shutting down: watchers are being closed anyway
    }
  }

  void subscribe(long fromVersion, ServerCallStreamObserver<WatchEvent> watcher) {
    watcher.setOnCancelHandler(
        () ->
            executor.execute(
                () -> {
                  watchers.remove(watcher);
                  ahead.remove(watcher);
                }));
    executor.execute(() -> addWatcher(fromVersion, watcher));
  }

  private void addWatcher(long fromVersion, ServerCallStreamObserver<WatchEvent> watcher) {
    if (watcher.isCancelled()) {
      return;
    }
    if (fromVersion > latest.getVersion()) {
      ahead.put(watcher, fromVersion);
      return;
    }
    if (!resume(fromVersion, watcher)) {
      watcher.onNext(snapshot(latest));
    }
    watchers.add(watcher);
  }

  private static WatchEvent snapshot(ShardMap map) {
    return WatchEvent.newBuilder().setVersion(map.getVersion()).setSnapshot(map).build();
  }

  /**
   * Sends the changes after {@code fromVersion} (any version the watcher saw, a change's or a
   * map's) if the history still has all of them.
   */
  private boolean resume(long fromVersion, ServerCallStreamObserver<WatchEvent> watcher) {
    if (fromVersion <= 0 || fromVersion < completeSince) {
      return false;
    }
    history.stream().filter(e -> e.getVersion() > fromVersion).forEach(watcher::onNext);
    return true;
  }

  private void onMap(ShardMap map) {
    if (latest != null && map.getVersion() <= latest.getVersion()) {
      return;
    }
    ShardMap previous = latest;
    latest = map;
    if (previous == null) {
      completeSince = map.getVersion();
      return;
    }
    broadcastChange(previous, map);
    releaseCaughtUp(map);
  }

  private void broadcastChange(ShardMap previous, ShardMap map) {
    ShardMapDelta delta = delta(previous, map);
    if (delta.getUpsertsCount() == 0
        && delta.getRemovedShardsCount() == 0
        && previous.getShardCount() == map.getShardCount()
        && previous.getSettings().equals(map.getSettings())) {
      return;
    }
    WatchEvent event = WatchEvent.newBuilder().setVersion(map.getVersion()).setDelta(delta).build();
    if (history.size() == HISTORY) {
      completeSince = history.removeFirst().getVersion();
    }
    history.addLast(event);
    watchers.removeIf(ServerCallStreamObserver::isCancelled);
    for (ServerCallStreamObserver<WatchEvent> w : watchers) {
      w.onNext(event);
    }
  }

  /** Watchers ahead of this master get the map once it reaches the version they saw. */
  private void releaseCaughtUp(ShardMap map) {
    ahead
        .entrySet()
        .removeIf(
            e -> {
              if (e.getKey().isCancelled()) {
                return true;
              }
              if (e.getValue() > map.getVersion()) {
                return false;
              }
              e.getKey().onNext(snapshot(map));
              watchers.add(e.getKey());
              return true;
            });
  }

  static ShardMapDelta delta(ShardMap from, ShardMap to) {
    Map<Integer, ShardAssignment> before = new HashMap<>();
    from.getAssignmentsList().forEach(a -> before.put(a.getShard(), a));
    ShardMapDelta.Builder d =
        ShardMapDelta.newBuilder().setShardCount(to.getShardCount()).setSettings(to.getSettings());
    for (ShardAssignment a : to.getAssignmentsList()) {
      if (!a.equals(before.remove(a.getShard()))) {
        d.addUpserts(a);
      }
    }
    before.keySet().stream().sorted().forEach(d::addRemovedShards);
    return d.build();
  }

  @Override
  public void close() {
    executor.execute(
        () -> {
          watchers.addAll(ahead.keySet());
          for (ServerCallStreamObserver<WatchEvent> w : watchers) {
            if (!w.isCancelled()) {
              w.onCompleted();
            }
          }
          watchers.clear();
          ahead.clear();
        });
    executor.shutdown();
  }
}
