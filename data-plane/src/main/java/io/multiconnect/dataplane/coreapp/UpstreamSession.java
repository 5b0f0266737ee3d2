package io.multiconnect.dataplane.coreapp;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.SessionAck;
import io.multiconnect.proto.v1.upstream.SessionEvent;
import io.multiconnect.proto.v1.upstream.SessionRef;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coreapp's conversation with the upstream: the one session it holds (or is opening) for the
 * shard it is primary of, opened, kept alive and closed as the loop decides, and the {@link
 * QuietTime} those sessions leave behind. Every method but {@link #gatewayStatus} and {@link
 * #keepAlive} runs on the coreapp's loop thread, and the session's stream events are handed to it;
 * keep-alives run on the thread of the session's connection ({@link UpstreamLink#windowThread}).
 */
final class UpstreamSession {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamSession.class);

  /** What the session's changes mean to the rest of the coreapp; called on the loop. */
  interface Listener {
    /** The session was accepted or ended: what the handlers may act on changed. */
    void sessionChanged();

    /** The upstream confirmed the close of the last session opened: releases may go now. */
    void quiet();

    /** Inbound messages and statuses the upstream handed session {@code on}. */
    void inbound(Webhooks.Target on, List<InboundEvent> events);
  }

  /** The session held (or being opened). */
  private static final class Session {
    final int shard;
    final int shardCount;
    final long epoch;
    final QuietTime.Mark mark;
    final UpstreamLink.Window window;
    volatile String sessionId; // set when accepted
    KeepAlives keepAlives; // open once a keep-alive was sent, until it ends; window thread only

    Session(
        int shard, int shardCount, long epoch, QuietTime.Mark mark, UpstreamLink.Window window) {
      this.shard = shard;
      this.shardCount = shardCount;
      this.epoch = epoch;
      this.mark = mark;
      this.window = window;
    }
  }

  private final String coreappId;
  private final String incarnation;
  private final UpstreamLink upstream;
  private final NodeClock clock;
  private final Executor loop;
  private final Duration callDeadline;
  private final QuietTime quiet;
  private final Listener listener;
  private volatile Session session; // written on the loop, read by keep-alives too
  private volatile String gatewayStatus = "disconnected";

  UpstreamSession(
      String coreappId,
      String incarnation,
      UpstreamLink upstream,
      NodeClock clock,
      Executor loop,
      Duration actingMargin,
      Duration callDeadline,
      Listener listener) {
    this.coreappId = coreappId;
    this.incarnation = incarnation;
    this.upstream = upstream;
    this.clock = clock;
    this.loop = loop;
    this.callDeadline = callDeadline;
    // A call sent just before the coreapp stopped may still arrive (within the delay allowance)
    // and keep the session for the silence timeout after it: quiet comes a margin after the stop.
    this.quiet = new QuietTime(actingMargin, clock.nanoTime());
    this.listener = listener;
  }

  /** disconnected, connecting or connected; read by any thread. */
  String gatewayStatus() {
    return gatewayStatus;
  }

  /** The session held, if any. */
  Optional<LeaseDecisions.Held> held() {
    return session == null
        ? Optional.empty()
        : Optional.of(
            new LeaseDecisions.Held(
                session.shardCount, session.epoch, session.sessionId, session.window.channel()));
  }

  /** The session held and accepted, where inbound events come from and are acknowledged. */
  Optional<Webhooks.Target> target() {
    return session == null || session.sessionId == null
        ? Optional.empty()
        : Optional.of(target(session));
  }

  private static Webhooks.Target target(Session s) {
    return new Webhooks.Target(s.sessionId, s.epoch, s.window.channel());
  }

  /** When the upstream surely counts none of this coreapp's sessions as open. */
  long quietAtNanos() {
    return quiet.quietAtNanos();
  }

  /** Opens the session of {@code a} (none may be held). */
  void open(Assignment a, int shardCount) {
    Session s = new Session(a.shard(), shardCount, a.epoch(), quiet.opening(), upstream.window());
    session = s;
    gatewayStatus = "connecting";
    OpenSessionRequest request =
        OpenSessionRequest.newBuilder()
            .setCoreappId(coreappId)
            .setIncarnation(incarnation)
            .setShard(a.shard())
            .setShardCount(shardCount)
            .setEpoch(a.epoch())
            .build();
    LOG.info(
        "coreapp {} is primary of shard {}/{} at epoch {}: opening its upstream session",
        coreappId,
        a.shard(),
        shardCount,
        a.epoch());
    UpstreamGrpc.newStub(s.window.channel())
        .openSession(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(SessionEvent e) {
                loop.execute(() -> onEvent(s, e));
              }

              @Override
              public void onError(Throwable t) {
                loop.execute(() -> ended(s, Status.fromThrowable(t).toString(), false));
              }

              @Override
              public void onCompleted() {
                loop.execute(() -> ended(s, "closed by the upstream", true));
              }
            });
  }

  private void onEvent(Session s, SessionEvent e) {
    if (session != s) {
      return;
    }
    if (e.hasAccepted()) {
      s.sessionId = e.getAccepted().getSessionId();
      gatewayStatus = "connected";
      listener.sessionChanged();
    } else if (e.hasInbound()) {
      if (s.sessionId != null) {
        listener.inbound(target(s), e.getInbound().getEventsList());
      }
    } else {
      ended(s, e.getClosed().getReason(), true);
    }
  }

  /**
   * The session's stream ended. Unless the upstream itself closed it, the upstream may still count
   * it as open until it has not heard from this coreapp for its silence timeout.
   */
  private void ended(Session s, String reason, boolean closedByUpstream) {
    if (session != s) {
      return;
    }
    s.window.end();
    if (!closedByUpstream) {
      quiet.unconfirmed(clock.nanoTime());
    }
    LOG.warn("coreapp {}: upstream session for epoch {} ended: {}", coreappId, s.epoch, reason);
    session = null;
    gatewayStatus = "disconnected";
    listener.sessionChanged();
  }

  /** Closes the held session of {@code epoch}, if that is the one held. */
  void closeIfHeld(long epoch, String reason) {
    if (session != null && session.epoch == epoch) {
      close(reason);
    }
  }

  /**
   * Stops acting on the held session and closes it: at once on this side, where its connection is
   * reset so that nothing written to it arrives later, and at the upstream when the close arrives
   * (the returned call). Until the upstream confirms, it may count the session as open for its
   * silence timeout.
   */
  ListenableFuture<SessionAck> close(String reason) {
    Session s = session;
    session = null;
    gatewayStatus = "disconnected";
    listener.sessionChanged();
    s.window.end();
    long closing = clock.nanoTime();
    quiet.unconfirmed(closing);
    ListenableFuture<SessionAck> closed =
        s.sessionId == null
            ? Futures.immediateFailedFuture(new IllegalStateException("never accepted"))
            : UpstreamGrpc.newFutureStub(upstream.closes())
                .withDeadline(Deadline.after(callDeadline.toMillis(), TimeUnit.MILLISECONDS))
                .closeSession(
                    SessionRef.newBuilder().setSessionId(s.sessionId).setEpoch(s.epoch).build());
    OnLoop.when(
        closed,
        loop,
        ok -> {
          LOG.info(
              "coreapp {}: the upstream confirmed the close of epoch {} after {} ms",
              coreappId,
              s.epoch,
              (clock.nanoTime() - closing) / 1_000_000);
          if (quiet.closeConfirmed(s.mark)) {
            listener.quiet();
          }
        },
        e -> {});
    LOG.info(
        "coreapp {} closed its upstream session for shard {} epoch {}: {}",
        coreappId,
        s.shard,
        s.epoch,
        reason);
    return closed;
  }

  /**
   * Tells the upstream this coreapp still holds its session, while it may act on it: a message on
   * the session's keep-alive stream, opened on its first use over the session's connection. Nothing
   * written to it can arrive after the coreapp stopped acting (the window's reset ends it with the
   * session; docs/safety.md, the timing budget). Runs on the windows' thread ({@link
   * UpstreamLink#windowThread}): it checks the acting deadline and queues the message on the
   * connection in one step, ahead of any reset queued later.
   */
  void keepAlive(Acting a) {
    Session s = session;
    if (a == null
        || s == null
        || s.sessionId == null
        || !s.sessionId.equals(a.sessionId())
        || !a.mayActAt(clock.nanoTime())) {
      return;
    }
    if (s.keepAlives == null) {
      s.keepAlives = new KeepAlives(s);
      s.keepAlives.open();
    }
    s.keepAlives.send();
  }

  /** A session's keep-alive stream; the upstream's answers arrive on the windows' thread. */
  private final class KeepAlives implements StreamObserver<SessionAck> {
    private final Session s;
    private final SessionRef ref;
    private StreamObserver<SessionRef> requests;

    KeepAlives(Session s) {
      this.s = s;
      this.ref = SessionRef.newBuilder().setSessionId(s.sessionId).setEpoch(s.epoch).build();
    }

    void open() {
      requests =
          UpstreamGrpc.newStub(s.window.channel())
              .withExecutor(upstream.windowThread())
              .keepAlive(this);
    }

    void send() {
      requests.onNext(ref);
    }

    @Override
    public void onNext(SessionAck ack) {}

    @Override
    public void onError(Throwable t) {
      if (session == s && s.keepAlives == this) {
        LOG.info(
            "coreapp {}: keep-alive stream of epoch {} ended: {}",
            coreappId,
            s.epoch,
            Status.fromThrowable(t));
      }
      ended();
    }

    @Override
    public void onCompleted() {
      ended();
    }

    /** The next keep-alive opens another stream. */
    private void ended() {
      if (s.keepAlives == this) {
        s.keepAlives = null;
      }
    }
  }

  /**
   * Before confirming a release on shutdown: closes the session and waits until the upstream holds
   * none of this coreapp's sessions: confirmed by the upstream, or (if it cannot be reached) once
   * it has surely dropped them for silence. Blocks the loop, which is stopping anyway.
   */
  void closeAndAwaitQuiet() {
    Session s = session;
    if (s != null) {
      ListenableFuture<SessionAck> closed = close("shutting down");
      try {
        closed.get(callDeadline.toMillis(), TimeUnit.MILLISECONDS);
        quiet.closeConfirmed(s.mark); // this one is closed: only earlier sessions remain
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        LOG.info("coreapp {}: the upstream did not confirm the close: {}", coreappId, e.toString());
      }
    }
    long wait = quiet.waitNanos(clock.nanoTime());
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Closes the held session, if any (the coreapp stops without a lease to release). */
  void closeIfAny(String reason) {
    if (session != null) {
      close(reason);
    }
  }
}
