package io.multiconnect.master.grpc;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower's subscription to the leader's own Watch stream, whose events go into this master's
 * {@link WatchHub}. Webapps and coreapps that watch a follower then see a commit about when the
 * leader applies it, instead of after the leader's next AppendEntries and the follower's log write
 * (40-75 ms later on a busy machine; docs/benchmarks-log-2026-11.md).
 *
 * <p>Best effort and advisory, like routing itself: while no stream is open (no leader known, this
 * master leads, the leader unreachable) the hub still has this master's own applies. It follows the
 * leader this master knows of, checked on every leader change and every {@link #RECHECK_MS}, which
 * also reopens a broken stream. Runs on its own thread.
 */
public final class LeaderFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderFeed.class);
  static final long RECHECK_MS = 2000;

  private final String selfId;
  private final Supplier<Optional<PeerAddress>> leader;
  private final LeaderChannels channels;
  private final WatchHub hub;
  private final ScheduledExecutorService executor;

  /** The API address the open stream goes to; null when none. Confined to {@link #executor}. */
  private String target;

  private Context.CancellableContext stream;

  public LeaderFeed(
      String selfId,
      Supplier<Optional<PeerAddress>> leader,
      LeaderChannels channels,
      WatchHub hub) {
    this.selfId = selfId;
    this.leader = leader;
    this.channels = channels;
    this.hub = hub;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("leader-feed-" + selfId));
  }

  public void start() {
    executor.scheduleWithFixedDelay(this::follow, 0, RECHECK_MS, TimeUnit.MILLISECONDS);
  }

  /** Checks at once which master to follow (called on every Raft leader change). */
  public void leaderChanged() {
    run(this::follow);
  }

  /** Runs {@code step} on the feed's thread; returns false once the feed is closed. */
  private boolean run(Runnable step) {
    try {
      executor.execute(step);
      return true;
    } catch (RejectedExecutionException closed) {
      return false;
    }
  }

  private void follow() {
    Optional<PeerAddress> other = leader.get().filter(p -> !p.id().equals(selfId));
    String want = other.map(PeerAddress::apiAddress).orElse(null);
    if (Objects.equals(want, target)) {
      return;
    }
    cancel();
    target = want;
    other.ifPresent(this::open);
  }

  private void open(PeerAddress to) {
    Context.CancellableContext ctx = Context.current().withCancellation();
    stream = ctx;
    long from = hub.version();
    WatchRequest request =
        WatchRequest.newBuilder().setFromVersion(from).setWatcherId("master-" + selfId).build();
    ctx.run(
        () ->
            ControlPlaneGrpc.newStub(channels.to(to))
                .watch(
                    request,
                    new StreamObserver<>() {
                      private boolean receiving;

                      @Override
                      public void onNext(WatchEvent e) {
                        if (!receiving) {
                          receiving = true;
                          LOG.info(
                              "master {} follows leader {}'s watch stream from version {}",
                              selfId,
                              to.id(),
                              e.getVersion());
                        }
                        hub.relay(e);
                      }

                      @Override
                      public void onError(Throwable t) {
                        ended(ctx, receiving, t.getMessage());
                      }

                      @Override
                      public void onCompleted() {
                        ended(ctx, receiving, "closed by " + to.id());
                      }
                    }));
  }

  /** Forgets a stream that ended, so the next check opens a new one. */
  private void ended(Context.CancellableContext ctx, boolean received, String why) {
    run(
        () -> {
          if (stream != ctx) {
            return;
          }
          if (received) {
            LOG.info("master {}: the leader's watch stream ended ({})", selfId, why);
          } else {
            LOG.debug("master {}: no watch stream from the leader ({})", selfId, why);
          }
          stream = null;
          target = null;
        });
  }

  private void cancel() {
    if (stream != null) {
      stream.cancel(null);
      stream = null;
    }
  }

  @Override
  public void close() {
    if (!run(this::cancel)) {
      return; // closed already
    }
    executor.shutdown();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
