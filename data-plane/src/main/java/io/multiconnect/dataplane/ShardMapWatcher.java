package io.multiconnect.dataplane;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the webapp's {@link RoutingTable} current from a master's Watch stream. When the stream
 * breaks, or brings nothing (not even the master's progress events) for {@link #SILENCE}, it goes
 * to the next master, resuming from the last version it saw, after a short backoff; until then it
 * keeps routing from the last table it has. Silence covers what an error does not: a master that is
 * stopped or cut off (gRPC's keepalive notices after 10 s at the soonest), and one that holds the
 * watcher back while it catches up.
 */
public final class ShardMapWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardMapWatcher.class);
  static final long RECONNECT_DELAY_MS = 200;

  /** Four of the masters' progress intervals (500 ms). */
  static final Duration SILENCE = Duration.ofSeconds(2);

  private final List<String> masters;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final AtomicReference<RoutingTable> table = new AtomicReference<>(RoutingTable.EMPTY);

  /** Callers of {@link #newerThan} still waiting; guarded by itself. */
  private final Set<Waiter> waiters = new LinkedHashSet<>();

  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shard-map-watcher"));
  private final String watcherId;
  private volatile Consumer<WatchEvent> onChange = e -> {};
  private volatile boolean connected;
  private volatile boolean closed;

  /** The open stream; null between streams. Watcher thread only. */
  private Context.CancellableContext current;

  /** Counts streams; events and ends of an older stream are ignored. */
  private volatile long streamId;

  private volatile long lastHeardNanos;
  private int masterIndex;

  public ShardMapWatcher(List<String> masters, String watcherId, NodeTls tls) {
    this.masters = List.copyOf(masters);
    masters.forEach(
        m -> channels.add(Endpoints.channel(m, tls, PeerCheck.role(NodeIdentity.Role.MASTER))));
    this.watcherId = watcherId;
  }

  /**
   * Called on the watcher's thread after every change event (not the initial map); must not block.
   */
  public ShardMapWatcher onChange(Consumer<WatchEvent> listener) {
    this.onChange = listener;
    return this;
  }

  public ShardMapWatcher start() {
    executor.execute(this::connect);
    checkSilenceIn(SILENCE.toNanos());
    return this;
  }

  /**
   * Starts from a table found elsewhere (the mirror) unless a newer one is already here; the Watch
   * stream replaces it as soon as a master answers.
   */
  public void seed(RoutingTable seed) {
    table.accumulateAndGet(seed, (current, s) -> s.version() > current.version() ? s : current);
    changed();
  }

  public RoutingTable table() {
    return table.get();
  }

  /**
   * The table once it is newer than {@code version}, or after {@code timeout}, whichever comes
   * first: a caller waiting for a failover to show goes on the moment it does. Nothing blocks; the
   * future completes on {@code timer}.
   */
  public CompletableFuture<RoutingTable> newerThan(
      long version, Duration timeout, ScheduledExecutorService timer) {
    Waiter w = new Waiter(new CompletableFuture<>(), timer);
    synchronized (waiters) {
      if (table.get().version() > version) {
        return CompletableFuture.completedFuture(table.get());
      }
      waiters.add(w);
    }
    timer.schedule(
        () -> {
          synchronized (waiters) {
            waiters.remove(w);
          }
          w.table().complete(table.get());
        },
        timeout.toNanos(),
        TimeUnit.NANOSECONDS);
    return w.table();
  }

  private record Waiter(CompletableFuture<RoutingTable> table, Executor executor) {}

  private void changed() {
    List<Waiter> woken;
    synchronized (waiters) {
      woken = List.copyOf(waiters);
      waiters.clear();
    }
    RoutingTable now = table.get();
    woken.forEach(w -> w.executor().execute(() -> w.table().complete(now)));
  }

  /** True while a Watch stream to some master is open. */
  public boolean connected() {
    return connected;
  }

  private void connect() {
    if (closed) {
      return;
    }
    ManagedChannel channel = channels.get(masterIndex);
    Context.CancellableContext ctx = Context.current().withCancellation();
    current = ctx;
    long id = ++streamId;
    lastHeardNanos = System.nanoTime();
    WatchRequest request =
        WatchRequest.newBuilder()
            .setFromVersion(table.get().version())
            .setWatcherId(watcherId)
            .build();
    ctx.run(
        () ->
            ControlPlaneGrpc.newStub(channel)
                .watch(
                    request,
                    new StreamObserver<>() {
                      @Override
                      public void onNext(WatchEvent e) {
                        if (id != streamId) {
                          return;
                        }
                        lastHeardNanos = System.nanoTime();
                        connected = true;
                        if (e.hasProgress()) {
                          return;
                        }
                        RoutingTable now = table.updateAndGet(t -> t.apply(e));
                        changed();
                        LOG.info(
                            "routing {} from {}: {}",
                            e.hasSnapshot() ? "table" : "change",
                            masters.get(masterIndex),
                            describe(now, e));
                        if (e.hasDelta()) {
                          onChange.accept(e);
                        }
                      }

                      @Override
                      public void onError(Throwable t) {
                        onWatcherThread(() -> ended(id, "stream failed: " + t.getMessage()));
                      }

                      @Override
                      public void onCompleted() {
                        onWatcherThread(() -> ended(id, "stream closed by the master"));
                      }
                    }));
  }

  private void onWatcherThread(Runnable step) {
    try {
      executor.execute(step);
    } catch (RejectedExecutionException closing) {
      // closed: the stream was cancelled on purpose
    }
  }

  /**
   * Ends the open stream once nothing came on it for {@link #SILENCE}, and looks again when what
   * came last would fall silent: on a live stream this wakes about once per {@code SILENCE}, not at
   * a fixed rate (each wake-up of an idle process costs CPU).
   */
  private void checkSilence() {
    if (closed) {
      return;
    }
    long silentNanos = System.nanoTime() - lastHeardNanos;
    if (current != null && silentNanos > SILENCE.toNanos()) {
      ended(streamId, "nothing heard for " + TimeUnit.NANOSECONDS.toMillis(silentNanos) + " ms");
    }
    checkSilenceIn(SILENCE.toNanos() - silentNanos);
  }

  private void checkSilenceIn(long nanos) {
    try {
      executor.schedule(
          this::checkSilence, Math.max(nanos, SILENCE.toNanos() / 8), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /** Ends stream {@code id} if it is still the open one and goes to the next master. */
  private void ended(long id, String why) {
    if (id != streamId || current == null) {
      return;
    }
    current.cancel(null);
    current = null;
    connected = false;
    if (closed) {
      return;
    }
    LOG.info("watch on {} ended ({}); trying the next master", masters.get(masterIndex), why);
    executor.schedule(
        () -> {
          masterIndex = (masterIndex + 1) % channels.size();
          connect();
        },
        RECONNECT_DELAY_MS,
        TimeUnit.MILLISECONDS);
  }

  /**
   * {@code version 42, 2 shards: 0=c1@3 1=(none)}, listing the shards the event touched ({@code
   * settings} when it touched none).
   */
  private static String describe(RoutingTable table, WatchEvent e) {
    StringBuilder out =
        new StringBuilder("version " + table.version() + ", " + table.shardCount() + " shards:");
    int before = out.length();
    for (int shard = 0; shard < table.shardCount(); shard++) {
      int s = shard;
      boolean touched =
          e.hasSnapshot()
              || e.getDelta().getUpsertsList().stream().anyMatch(a -> a.getShard() == s)
              || e.getDelta().getRemovedShardsList().contains(s);
      if (touched) {
        out.append(' ')
            .append(shard)
            .append('=')
            .append(
                table
                    .primaryOf(shard)
                    .map(a -> a.getCoreappId() + "@" + a.getEpoch())
                    .orElse("(none)"));
      }
    }
    if (out.length() == before) {
      out.append(" settings");
    }
    return out.toString();
  }

  @Override
  public void close() {
    closed = true;
    executor.execute(
        () -> {
          if (current != null) {
            current.cancel(null);
          }
        });
    executor.shutdown();
    Endpoints.shutdown(channels);
  }
}
