package io.multiconnect.master;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.CoreappLease;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.ReleaseRequest;
import io.multiconnect.proto.v1.Role;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A coreapp stand-in over real gRPC: registers, heartbeats with the real {@link CoreappLease}, and
 * records, per epoch, when it first could act (grant received with a valid lease) and its last
 * lease deadline, on {@link System#nanoTime()}.
 */
public final class TestCoreapp implements AutoCloseable {
  public final String id;

  /** This process: a new one per stand-in, as a restarted coreapp draws a new one. */
  final String incarnation = UUID.randomUUID().toString();

  private final List<ManagedChannel> channels;
  private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
  private final CoreappLease lease = new CoreappLease();
  private int target;
  private volatile boolean silenced;
  private volatile long heartbeatIntervalMs = 1000;

  /** Epoch -> first moment this coreapp held a valid lease on it. */
  final Map<Long, Long> firstActiveNanos = new ConcurrentHashMap<>();

  /** Epoch -> the last lease deadline it computed for it. */
  final Map<Long, Long> leaseDeadlineNanos = new ConcurrentHashMap<>();

  public TestCoreapp(String id, List<PeerAddress> masters) {
    this.id = id;
    this.channels =
        masters.stream()
            .map(p -> Endpoints.channel(p.apiAddress(), TestTls.PLAINTEXT, PeerCheck.anyNode()))
            .toList();
  }

  public TestCoreapp start() {
    loop.execute(this::tick);
    return this;
  }

  /** Stops heartbeating, as if the process had died, without closing anything. */
  void silence() {
    silenced = true;
  }

  synchronized Optional<Assignment> active() {
    return lease.active(System.nanoTime());
  }

  private ControlPlaneGrpc.ControlPlaneBlockingStub stub() {
    return ControlPlaneGrpc.newBlockingStub(channels.get(target))
        .withDeadline(Deadline.after(1, TimeUnit.SECONDS));
  }

  private void tick() {
    if (silenced) {
      return;
    }
    try {
      heartbeatOnce();
    } catch (RuntimeException e) { // UNAVAILABLE, not the leader, deadline: try the next master
      target = (target + 1) % channels.size();
    }
    loop.schedule(this::tick, heartbeatIntervalMs, TimeUnit.MILLISECONDS);
  }

  private void heartbeatOnce() {
    long seq;
    synchronized (this) {
      seq = lease.beforeSend(System.nanoTime());
    }
    HeartbeatResponse r =
        stub()
            .heartbeat(
                HeartbeatRequest.newBuilder()
                    .setCoreappId(id)
                    .setIncarnation(incarnation)
                    .setSequence(seq)
                    .build());
    heartbeatIntervalMs = Math.max(10, r.getSettings().getHeartbeatIntervalMs());
    if (r.getSuperseded()) {
      silenced = true; // another process registered with this id: this one exits
      return;
    }
    if (r.getUnknownCoreapp()) {
      stub()
          .register(
              RegisterRequest.newBuilder()
                  .setCoreappId(id)
                  .setIncarnation(incarnation)
                  .setAddress("127.0.0.1:1")
                  .build());
      return;
    }
    List<Long> release;
    synchronized (this) {
      Optional<Assignment> primary =
          r.getRole() == Role.PRIMARY
              ? Optional.of(new Assignment(r.getShard(), id, r.getEpoch()))
              : Optional.empty();
      release =
          lease.onAnswer(
              seq, primary, Duration.ofNanos(r.getLeaseDurationNanos()), r.getReleaseEpochsList());
      long now = System.nanoTime();
      lease
          .active(now)
          .ifPresent(
              a -> {
                firstActiveNanos.putIfAbsent(a.epoch(), now);
                leaseDeadlineNanos.put(a.epoch(), lease.leaseExpiresAtNanos());
              });
    }
    for (long epoch : release) {
      stub()
          .release(
              ReleaseRequest.newBuilder()
                  .setCoreappId(id)
                  .setIncarnation(incarnation)
                  .setEpoch(epoch)
                  .build());
    }
  }

  @Override
  public void close() throws InterruptedException {
    silenced = true;
    loop.shutdownNow();
    loop.awaitTermination(2, TimeUnit.SECONDS);
    Endpoints.shutdown(channels);
  }
}
