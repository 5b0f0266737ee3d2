package io.multiconnect.dataplane.coreapp;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.dataplane.HeartbeatStream;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.ReleaseRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coreapp's conversation with the masters: registration, heartbeats (on one stream, {@link
 * HeartbeatStream}), releases of revoked epochs, and the master it talks to, moving on to the next
 * one whenever a call fails (any master relays to the leader). A revoked epoch is released only
 * once the upstream is quiet ({@code quietAtNanos}), and again on every heartbeat until a master
 * confirms it. Every method but {@link #close} runs on the coreapp's loop thread.
 */
final class MasterLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MasterLink.class);

  private final String coreappId;
  private final String incarnation;
  private final String address;
  private final Duration actingMargin;
  private final String zone;
  private final List<ManagedChannel> channels;
  private final ScheduledExecutorService loop;
  private final NodeClock clock;
  private final Duration callDeadline;
  private final LongSupplier quietAtNanos;
  private final HeartbeatStream heartbeats;

  /** Revoked epochs not yet confirmed released, with when this coreapp learned of each. */
  private final Map<Long, Long> pendingReleases = new LinkedHashMap<>();

  private int current; // index of the master talked to
  private final Registration registration = new Registration();
  private String lastRefusal = "";

  MasterLink(
      CoreappConfig config,
      String incarnation,
      ScheduledExecutorService loop,
      NodeClock clock,
      Duration callDeadline,
      LongSupplier quietAtNanos,
      NodeTls tls) {
    this.coreappId = config.id();
    this.incarnation = incarnation;
    this.address = config.address();
    this.actingMargin = config.actingMargin();
    this.zone = config.zone();
    this.channels =
        config.masters().stream()
            .map(m -> Endpoints.channel(m, tls, PeerCheck.role(NodeIdentity.Role.MASTER)))
            .toList();
    this.loop = loop;
    this.clock = clock;
    this.callDeadline = callDeadline;
    this.quietAtNanos = quietAtNanos;
    this.heartbeats = new HeartbeatStream(loop, callDeadline);
  }

  private ControlPlaneGrpc.ControlPlaneFutureStub master() {
    return ControlPlaneGrpc.newFutureStub(channels.get(current))
        .withDeadline(Deadline.after(callDeadline.toMillis(), TimeUnit.MILLISECONDS));
  }

  private void nextMaster() {
    current = (current + 1) % channels.size();
  }

  /**
   * Registers this process (which also undrains a coreapp that left before, and revokes what an
   * earlier process of this id held); a no-op while a registration is in flight.
   */
  void register() {
    if (!registration.begin()) {
      return;
    }
    RegisterRequest r =
        RegisterRequest.newBuilder()
            .setCoreappId(coreappId)
            .setIncarnation(incarnation)
            .setAddress(address)
            .setActingMarginMs(actingMargin.toMillis())
            .setZone(zone)
            .build();
    OnLoop.when(
        master().register(r),
        loop,
        ok -> {
          registration.confirmed(ok.getVersion());
          LOG.info(
              "coreapp {} registered as process {} at {}", coreappId, incarnation, ok.getVersion());
        },
        e -> {
          registration.failed();
          Status status = Status.fromThrowable(e);
          if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
            if (!status.toString().equals(lastRefusal)) {
              lastRefusal = status.toString();
              LOG.error(
                  "coreapp {}: the masters refuse its registration: {}",
                  coreappId,
                  status.getDescription());
            }
            return;
          }
          nextMaster();
        });
  }

  /**
   * Whether an answer from the state at {@code answerVersion} saying another process is registered
   * means this one was superseded ({@link Registration#supersededBy}).
   */
  boolean supersededBy(long answerVersion) {
    return registration.supersededBy(answerVersion);
  }

  /** Sends {@code request}; its answer goes to {@code onAnswer}. Resends pending releases too. */
  void heartbeat(HeartbeatRequest request, Consumer<HeartbeatResponse> onAnswer) {
    OnLoop.when(heartbeats.send(channels.get(current), request), loop, onAnswer, e -> nextMaster());
    resendReleases();
  }

  /** Releases {@code epoch}, revoked now, as soon as the upstream is quiet. */
  void release(long epoch) {
    pendingReleases.putIfAbsent(epoch, clock.nanoTime());
    sendRelease(epoch);
  }

  /** Sends every release not yet confirmed again (each waits for quiet). */
  void resendReleases() {
    for (long epoch : List.copyOf(pendingReleases.keySet())) {
      sendRelease(epoch);
    }
  }

  private void sendRelease(long epoch) {
    long wait = quietAtNanos.getAsLong() - clock.nanoTime();
    if (wait > 0) {
      loop.schedule(
          () -> {
            if (pendingReleases.containsKey(epoch)) {
              sendRelease(epoch);
            }
          },
          wait,
          TimeUnit.NANOSECONDS);
      return;
    }
    ReleaseRequest r =
        ReleaseRequest.newBuilder()
            .setCoreappId(coreappId)
            .setIncarnation(incarnation)
            .setEpoch(epoch)
            .build();
    OnLoop.when(
        master().release(r),
        loop,
        ok -> {
          Long revoked = pendingReleases.remove(epoch);
          if (revoked != null) {
            LOG.info(
                "coreapp {}: the masters confirmed the release of epoch {} {} ms after it was"
                    + " revoked",
                coreappId,
                epoch,
                (clock.nanoTime() - revoked) / 1_000_000);
          }
        },
        e -> nextMaster());
  }

  /**
   * Confirms, blocking, that this coreapp stopped acting on {@code epoch} and is leaving: tries
   * every master twice. Call only once the upstream is quiet. Returns whether a master confirmed.
   */
  boolean releaseOnShutdown(long epoch) {
    ReleaseRequest r =
        ReleaseRequest.newBuilder()
            .setCoreappId(coreappId)
            .setIncarnation(incarnation)
            .setEpoch(epoch)
            .setLeaving(true)
            .build();
    for (int attempt = 0; attempt < channels.size() * 2; attempt++) {
      try {
        ControlPlaneGrpc.newBlockingStub(channels.get(current))
            .withDeadline(Deadline.after(callDeadline.toMillis(), TimeUnit.MILLISECONDS))
            .release(r);
        return true;
      } catch (RuntimeException e) {
        nextMaster();
      }
    }
    return false;
  }

  @Override
  public void close() {
    heartbeats.close();
    Endpoints.shutdown(channels);
  }
}
