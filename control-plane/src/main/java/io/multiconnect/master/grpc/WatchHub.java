package io.multiconnect.master.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.proto.v1.Progress;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMap;
import io.multiconnect.proto.v1.ShardMapDelta;
import io.multiconnect.proto.v1.WatchEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
 * <p>Maps come from two sources: this master's own applies ({@link #publish}) and, on a follower,
 * the leader's own Watch stream ({@link #relay}, fed by {@link LeaderFeed}). A follower learns that
 * an entry is committed only from the leader's next AppendEntries and then applies it; the leader's
 * stream usually brings the same map earlier. Both carry the state after a committed prefix of the
 * log, so the map at a version is the same whichever brought it, and the hub keeps whichever is
 * newer.
 *
 * <p>Every {@link #PROGRESS_INTERVAL} each watcher that is reading gets a progress event (the
 * newest version, nothing to apply), so a watcher can tell a live master from one that is gone,
 * stuck or cut off without waiting for TCP or gRPC keepalives (grpc-java pings every 10 s at most).
 * A watcher held back until this master catches up gets none: it may rather go elsewhere.
 *
 * <p>Runs on its own single thread: the state machine only enqueues (never blocks in apply), and
 * every watcher sees events in version order.
 */
public final class WatchHub implements AutoCloseable {
  static final int HISTORY = 1024;
  public static final Duration PROGRESS_INTERVAL = Duration.ofMillis(500);

  private final ExecutorService executor;
  private final Deque<WatchEvent> history = new ArrayDeque<>();

  /** Every routing change after this version is in {@link #history}. */
  private long completeSince = Long.MAX_VALUE;

  private final List<ServerCallStreamObserver<WatchEvent>> watchers = new ArrayList<>();

  /**
   * How many Watch streams one node (one certificate identity) may hold open on this master: a
   * webapp or a coreapp needs one, a restart overlaps two, the benchmarks' fan-out 100 from one
   * tool. A stolen certificate cannot make this master serve an unbounded number.
   */
  static final int MAX_WATCHES_PER_CALLER = 128;

  /**
   * How many Watch streams this master serves in all, whoever holds them (plaintext callers
   * included): room for 32 webapps and coreapps at the per-node limit, and a bound on the memory
   * and the fan-out work of each commit whatever the CA issued.
   */
  static final int MAX_WATCHES = 4096;

  /** Each open stream's caller, for streams of an identified caller; hub thread only. */
  private final Map<ServerCallStreamObserver<WatchEvent>, String> callers = new HashMap<>();

  /** Watchers ahead of {@link #latest}, with the version each has seen. */
  private final Map<ServerCallStreamObserver<WatchEvent>, Long> ahead = new HashMap<>();

  private ShardMap latest;

  /** {@link #latest}'s version, for other threads; 0 before the first map. */
  private volatile long version;

  public WatchHub() {
    ScheduledExecutorService thread =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("watch-hub"));
    this.executor = thread;
    long every = PROGRESS_INTERVAL.toMillis();
    thread.scheduleWithFixedDelay(this::sendProgress, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Runs every step on {@code executor}, which must run one task at a time in order; progress is
   * sent only when {@link #sendProgress} is called.
   */
  WatchHub(ExecutorService executor) {
    this.executor = executor;
  }

  /** Hands the state to the hub's thread; returns at once. */
  public void publish(ClusterState state) {
    ShardMap map = Protos.shardMap(state);
    run(() -> onMap(map));
  }

  /**
   * Hands an event of the leader's Watch stream to the hub's thread; returns at once. Deltas apply
   * to this hub's newest map: the leader's stream has no routing change between two of its events,
   * so any map this hub holds from that stretch is the base the delta was computed against.
   */
  public void relay(WatchEvent event) {
    run(() -> onRelayed(event));
  }

  /** The version of the newest map, the point a relayed stream resumes from. */
  public long version() {
    return version;
  }

  /**
   * Adds a watcher of {@code caller} (its certificate identity; empty without TLS, then not
   * counted), refused with {@code RESOURCE_EXHAUSTED} when that caller already holds {@link
   * #MAX_WATCHES_PER_CALLER} streams here.
   */
  void subscribe(
      long fromVersion, ServerCallStreamObserver<WatchEvent> watcher, Optional<String> caller) {
    watcher.setOnCancelHandler(
        () ->
            run(
                () -> {
                  watchers.remove(watcher);
                  ahead.remove(watcher);
                  callers.remove(watcher);
                }));
    run(
        () -> {
          Optional<String> refusal = refusal(caller);
          if (refusal.isPresent()) {
            watcher.onError(
                Status.RESOURCE_EXHAUSTED.withDescription(refusal.get()).asRuntimeException());
            return;
          }
          caller.ifPresent(c -> callers.put(watcher, c));
          addWatcher(fromVersion, watcher);
        });
  }

  /** Why one more stream of {@code caller} is refused, if it is; hub thread only. */
  private Optional<String> refusal(Optional<String> caller) {
    watchers.removeIf(ServerCallStreamObserver::isCancelled);
    ahead.keySet().removeIf(ServerCallStreamObserver::isCancelled);
    callers.keySet().removeIf(ServerCallStreamObserver::isCancelled);
    int open = watchers.size() + ahead.size();
    if (open >= MAX_WATCHES) {
      return Optional.of(
          "this master already serves " + open + " Watch streams (at most " + MAX_WATCHES + ")");
    }
    long mine = caller.map(c -> callers.values().stream().filter(c::equals).count()).orElse(0L);
    if (mine >= MAX_WATCHES_PER_CALLER) {
      return Optional.of(
          caller.get()
              + " already holds "
              + mine
              + " Watch streams on this master (at most "
              + MAX_WATCHES_PER_CALLER
              + ")");
    }
    return Optional.empty();
  }

  /** Open Watch streams after the hub's last step (for metrics). */
  private volatile int open;

  /** Open Watch streams, those waiting for a version this master has not applied included. */
  public int watchers() {
    return open;
  }

  /** Runs {@code step} on the hub's thread; nothing once the hub is closed. */
  private void run(Runnable step) {
    try {
      executor.execute(
          () -> {
            step.run();
            open = watchers.size() + ahead.size();
          });
    } catch (RejectedExecutionException closed) {
      // shutting down: watchers are being closed anyway
    }
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

  private void onRelayed(WatchEvent event) {
    if (latest == null || event.hasProgress() || event.getVersion() <= latest.getVersion()) {
      return;
    }
    if (event.hasDelta()) {
      onMap(applyDelta(latest, event));
      return;
    }
    // A snapshot from ahead: the changes between this hub's map and it are folded into one event,
    // so a watcher that saw a version in between could not resume from the history exactly.
    onMap(event.getSnapshot());
    history.clear();
    completeSince = event.getVersion();
  }

  private void onMap(ShardMap map) {
    if (latest != null && map.getVersion() <= latest.getVersion()) {
      return;
    }
    ShardMap previous = latest;
    latest = map;
    version = map.getVersion();
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
        && previous.getSettings().equals(map.getSettings())
        && previous.getTokenPublicKeys().equals(map.getTokenPublicKeys())
        && !delta.hasApiUsers()) {
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

  /**
   * Tells every watcher that is reading (not one held back) the newest version; hub thread only.
   */
  void sendProgress() {
    if (latest == null) {
      return;
    }
    WatchEvent event =
        WatchEvent.newBuilder()
            .setVersion(latest.getVersion())
            .setProgress(Progress.getDefaultInstance())
            .build();
    watchers.removeIf(ServerCallStreamObserver::isCancelled);
    for (ServerCallStreamObserver<WatchEvent> w : watchers) {
      if (w.isReady()) {
        w.onNext(event);
      }
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
        ShardMapDelta.newBuilder()
            .setShardCount(to.getShardCount())
            .setSettings(to.getSettings())
            .setTokenPublicKeys(to.getTokenPublicKeys());
    if (!from.getApiUsers().equals(to.getApiUsers())) {
      d.setApiUsers(to.getApiUsers());
    }
    for (ShardAssignment a : to.getAssignmentsList()) {
      if (!a.equals(before.remove(a.getShard()))) {
        d.addUpserts(a);
      }
    }
    before.keySet().stream().sorted().forEach(d::addRemovedShards);
    return d.build();
  }

  /**
   * The inverse of {@link #delta}: {@code from} with the event's changes, at the event's version.
   */
  static ShardMap applyDelta(ShardMap from, WatchEvent event) {
    ShardMapDelta d = event.getDelta();
    Map<Integer, ShardAssignment> byShard = new TreeMap<>();
    from.getAssignmentsList().forEach(a -> byShard.put(a.getShard(), a));
    d.getRemovedShardsList().forEach(byShard::remove);
    d.getUpsertsList().forEach(a -> byShard.put(a.getShard(), a));
    return ShardMap.newBuilder()
        .setVersion(event.getVersion())
        .setShardCount(d.getShardCount())
        .addAllAssignments(byShard.values())
        .setSettings(d.getSettings())
        .setTokenPublicKeys(d.getTokenPublicKeys())
        .setApiUsers(d.hasApiUsers() ? d.getApiUsers() : from.getApiUsers())
        .build();
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
