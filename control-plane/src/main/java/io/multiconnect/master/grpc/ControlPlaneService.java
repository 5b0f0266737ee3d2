package io.multiconnect.master.grpc;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.Zones;
import io.multiconnect.common.tls.CallerRules;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.HeartbeatDecision;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.port.Leaders;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.port.Proposer;
import io.multiconnect.master.port.StateView;
import io.multiconnect.master.raft.Proposal;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.LeaderHint;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.RegisterResponse;
import io.multiconnect.proto.v1.ReleaseRequest;
import io.multiconnect.proto.v1.ReleaseResponse;
import io.multiconnect.proto.v1.Role;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coreapps' and webapps' side of a master. Heartbeats are answered by the leader after it has
 * proven its leadership at a moment later than the heartbeat's receipt; a follower relays them
 * (once) to the leader, so a coreapp cut off from the leader keeps its lease through any master.
 * Register and Release are writes: the leader proposes them, a follower relays them.
 */
public final class ControlPlaneService extends ControlPlaneGrpc.ControlPlaneImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(ControlPlaneService.class);

  /**
   * Runs heartbeat calls on the transport thread instead of handing each one to the server's
   * executor: nothing on their path blocks (the leader records the receipt and asks for a proof,
   * which answers on threads of its own; a follower relays without waiting). Every other call keeps
   * the server's executor.
   */
  public static final ServerCallExecutorSupplier HEARTBEATS_ON_TRANSPORT_THREAD =
      new ServerCallExecutorSupplier() {
        private final Set<String> heartbeats =
            Set.of(
                ControlPlaneGrpc.getHeartbeatMethod().getFullMethodName(),
                ControlPlaneGrpc.getHeartbeatStreamMethod().getFullMethodName());

        @Override
        public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
          return heartbeats.contains(call.getMethodDescriptor().getFullMethodName())
              ? MoreExecutors.directExecutor()
              : null;
        }
      };

  /** Deadline for one relay hop to the leader. */
  static final long RELAY_DEADLINE_MS = 2_000;

  private final Leaders leaders;
  private final Proposer proposer;
  private final StateView state;

  /** Whether a master id is a member of the group: only members relay for coreapps. */
  private final Predicate<String> members;

  private final NodeClock clock;
  private final LatencyHistogram heartbeatHandling;
  private final WatchHub watchHub;
  private final LeaderChannels channels;

  /** Asks the leader's control loop for a planning round now. */
  private final Runnable planSoon;

  /**
   * @param heartbeatHandling where the receipt-to-answer time of every heartbeat this master
   *     answers as the leader goes
   * @param members whether a master id is a member of the group (only members relay for coreapps,
   *     with TLS on)
   */
  public ControlPlaneService(
      Leaders leaders,
      Proposer proposer,
      StateView state,
      NodeClock clock,
      LatencyHistogram heartbeatHandling,
      WatchHub watchHub,
      LeaderChannels channels,
      Predicate<String> members,
      Runnable planSoon) {
    this.leaders = leaders;
    this.planSoon = planSoon;
    this.members = members;
    this.proposer = proposer;
    this.state = state;
    this.clock = clock;
    this.heartbeatHandling = heartbeatHandling;
    this.watchHub = watchHub;
    this.channels = channels;
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
    long receivedAtNanos = clock.nanoTime();
    Optional<Rejection> missing = missingIdentity(request.getCoreappId(), request.getIncarnation());
    if (missing.isPresent()) {
      out.onError(GrpcErrors.invalid(missing.get()));
      return;
    }
    if (notTheCaller(request.getCoreappId(), Optional.empty(), out)) {
      return;
    }
    Optional<Leadership> leading = leaders.current();
    if (leading.isEmpty()) {
      relayHeartbeat(request, out);
      return;
    }
    Leadership leadership = leading.get();
    if (leadership
        .coordinator()
        .heard(request.getCoreappId(), request.getIncarnation(), receivedAtNanos)) {
      planSoon.run();
    }
    leadership
        .prove()
        .whenComplete(
            (proven, error) -> {
              if (error != null || !proven) {
                out.onError(GrpcErrors.notLeader(leaders.self().id(), leaders.hint()));
                return;
              }
              HeartbeatDecision d =
                  leadership
                      .coordinator()
                      .answer(state.state(), request.getCoreappId(), request.getIncarnation());
              out.onNext(response(request, d));
              out.onCompleted();
              heartbeatHandling.record(clock.nanoTime() - receivedAtNanos);
            });
  }

  /**
   * Heartbeats on one stream, each handled as {@link #heartbeat} handles a call and answered on the
   * stream; the first failure ends the stream with its status.
   */
  @Override
  public StreamObserver<HeartbeatRequest> heartbeatStream(StreamObserver<HeartbeatResponse> out) {
    StreamAnswers answers = new StreamAnswers(out);
    return new StreamObserver<>() {
      @Override
      public void onNext(HeartbeatRequest request) {
        heartbeat(request, answers);
      }

      @Override
      public void onError(Throwable t) {
        // The coreapp went away or gave the stream up; answers still due go nowhere.
      }

      @Override
      public void onCompleted() {
        answers.end();
      }
    };
  }

  /**
   * One heartbeat stream's answers as each heartbeat's observer: answers complete on different
   * threads (proofs, relays), so writes to the stream are serialized here; a heartbeat's failure
   * ends the stream, its completion does not.
   */
  private static final class StreamAnswers implements StreamObserver<HeartbeatResponse> {
    private final StreamObserver<HeartbeatResponse> out;
    private boolean ended;

    StreamAnswers(StreamObserver<HeartbeatResponse> out) {
      this.out = out;
    }

    @Override
    public synchronized void onNext(HeartbeatResponse r) {
      if (!ended) {
        out.onNext(r);
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      if (!ended) {
        ended = true;
        out.onError(t);
      }
    }

    @Override
    public void onCompleted() {
      // One heartbeat answered; the stream goes on.
    }

    synchronized void end() {
      if (!ended) {
        ended = true;
        out.onCompleted();
      }
    }
  }

  /** A heartbeat or release must name the coreapp and the process that sends it. */
  /**
   * Whether the call was refused ({@code PERMISSION_DENIED}) because its certificate names another
   * coreapp than {@code coreappId}, or does not name the host of the {@code address} it registers
   * (see {@link CallerRules}).
   */
  private boolean notTheCaller(String coreappId, Optional<String> address, StreamObserver<?> out) {
    try {
      CallerRules.requireSelf(NodeIdentity.Role.COREAPP, coreappId, members);
      if (address.isPresent()) {
        int colon = address.get().lastIndexOf(':');
        CallerRules.requireHost(colon > 0 ? Endpoints.host(address.get()) : address.get(), members);
      }
      return false;
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return true;
    }
  }

  private static Optional<Rejection> missingIdentity(String coreappId, String incarnation) {
    if (coreappId.isEmpty()) {
      return Optional.of(new Rejection("coreapp_id", "is required"));
    }
    if (incarnation.isEmpty()) {
      return Optional.of(new Rejection("incarnation", "is required"));
    }
    return Optional.empty();
  }

  private HeartbeatResponse response(HeartbeatRequest request, HeartbeatDecision d) {
    HeartbeatResponse.Builder b =
        HeartbeatResponse.newBuilder()
            .setSequence(request.getSequence())
            .setRole(d.primary().isPresent() ? Role.PRIMARY : Role.SECONDARY)
            .setShardCount(d.state().shardCount())
            .setLeaseDurationNanos(d.lease().toNanos())
            .addAllReleaseEpochs(d.releaseEpochs())
            .setSettings(Protos.settings(d.state().settings()))
            .setVersion(d.state().version())
            .setLeader(hint(Optional.of(leaders.self())))
            .setUnknownCoreapp(d.refusal() == HeartbeatDecision.Refusal.UNKNOWN_COREAPP)
            .setSuperseded(d.refusal() == HeartbeatDecision.Refusal.SUPERSEDED);
    d.primary().ifPresent(a -> b.setShard(a.shard()).setEpoch(a.epoch()));
    return b.build();
  }

  static LeaderHint hint(Optional<PeerAddress> leader) {
    return leader
        .map(
            p ->
                LeaderHint.newBuilder()
                    .setLeaderId(p.id())
                    .setLeaderAddress(p.apiAddress())
                    .build())
        .orElse(LeaderHint.getDefaultInstance());
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> out) {
    if (!NodeIdentity.isValidId(request.getCoreappId())) {
      // At the door, not in ClusterState: a stricter rule there would replay old logs differently.
      out.onError(
          GrpcErrors.invalid(
              new Rejection(
                  "coreapp_id",
                  "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")));
      return;
    }
    if (!Zones.isValid(request.getZone())) {
      out.onError(GrpcErrors.invalid(new Rejection("zone", Zones.RULE)));
      return;
    }
    if (notTheCaller(request.getCoreappId(), Optional.of(request.getAddress()), out)) {
      return;
    }
    write(
        out,
        new Command.RegisterCoreapp(
            request.getCoreappId(),
            request.getIncarnation(),
            request.getAddress(),
            Duration.ofMillis(request.getActingMarginMs()),
            request.getZone()),
        index -> RegisterResponse.newBuilder().setVersion(index).build(),
        stub -> stub.register(request));
  }

  @Override
  public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> out) {
    long receivedAtNanos = clock.nanoTime();
    Optional<Rejection> missing = missingIdentity(request.getCoreappId(), request.getIncarnation());
    if (missing.isPresent()) {
      out.onError(GrpcErrors.invalid(missing.get()));
      return;
    }
    if (notTheCaller(request.getCoreappId(), Optional.empty(), out)) {
      return;
    }
    // On the leader, the entry also assigns the shards the release frees (Coordinator.release).
    Command.ConfirmRelease alone =
        new Command.ConfirmRelease(
            request.getCoreappId(),
            request.getIncarnation(),
            request.getEpoch(),
            request.getLeaving());
    Command.ConfirmRelease release =
        leaders
            .current()
            .map(
                l ->
                    l.coordinator()
                        .release(
                            state.state(),
                            request.getCoreappId(),
                            request.getIncarnation(),
                            request.getEpoch(),
                            request.getLeaving()))
            .orElse(alone);
    write(
        out,
        release,
        index -> {
          if (!release.thenAssign().isEmpty()) {
            LOG.info(
                "leader {} committed the release of epoch {} by {} at {} with {}, {} ms after"
                    + " receiving it",
                leaders.self().id(),
                release.epoch(),
                release.coreappId(),
                index,
                release.thenAssign(),
                (clock.nanoTime() - receivedAtNanos) / 1_000_000);
          }
          return ReleaseResponse.newBuilder().setVersion(index).build();
        },
        stub -> stub.release(request));
  }

  private <T> void write(
      StreamObserver<T> out,
      Command command,
      Function<Long, T> reply,
      Function<ControlPlaneGrpc.ControlPlaneBlockingStub, T> relayCall) {
    Optional<Leadership> leading = leaders.current();
    if (leading.isEmpty()) {
      relay(false, out, relayCall);
      return;
    }
    Proposal p = proposer.propose(command, leading.get().term());
    if (p instanceof Proposal.Committed c) {
      out.onNext(reply.apply(c.index()));
      out.onCompleted();
    } else {
      out.onError(GrpcErrors.of(p, leaders.self().id(), leaders.hint()));
    }
  }

  /** Forwards a call to the leader once; a relayed call is never relayed again. */
  private <T> void relay(
      boolean alreadyRelayed,
      StreamObserver<T> out,
      Function<ControlPlaneGrpc.ControlPlaneBlockingStub, T> call) {
    Optional<PeerAddress> leader = relayTarget(alreadyRelayed, out);
    if (leader.isEmpty()) {
      return;
    }
    try {
      ControlPlaneGrpc.ControlPlaneBlockingStub stub =
          ControlPlaneGrpc.newBlockingStub(channels.to(leader.get()))
              .withDeadline(Deadline.after(RELAY_DEADLINE_MS, TimeUnit.MILLISECONDS));
      out.onNext(call.apply(stub));
      out.onCompleted();
    } catch (StatusRuntimeException e) {
      out.onError(relayFailure(leader.get(), e.getStatus()));
    }
  }

  /**
   * A heartbeat forwarded to the leader once, without blocking: heartbeats are handled on the
   * transport thread ({@link #HEARTBEATS_ON_TRANSPORT_THREAD}).
   */
  private void relayHeartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
    Optional<PeerAddress> leader = relayTarget(request.getRelayed(), out);
    if (leader.isEmpty()) {
      return;
    }
    ControlPlaneGrpc.newStub(channels.to(leader.get()))
        .withDeadline(Deadline.after(RELAY_DEADLINE_MS, TimeUnit.MILLISECONDS))
        .heartbeat(
            request.toBuilder().setRelayed(true).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(HeartbeatResponse r) {
                out.onNext(r);
              }

              @Override
              public void onError(Throwable t) {
                out.onError(relayFailure(leader.get(), Status.fromThrowable(t)));
              }

              @Override
              public void onCompleted() {
                out.onCompleted();
              }
            });
  }

  /** The leader to relay to, or empty after answering "not the leader". */
  private Optional<PeerAddress> relayTarget(boolean alreadyRelayed, StreamObserver<?> out) {
    Optional<PeerAddress> leader = leaders.hint();
    if (alreadyRelayed || leader.isEmpty() || leader.get().id().equals(leaders.self().id())) {
      out.onError(GrpcErrors.notLeader(leaders.self().id(), leader));
      return Optional.empty();
    }
    return leader;
  }

  private static StatusRuntimeException relayFailure(PeerAddress leader, Status status) {
    return status.getCode() == Status.Code.DEADLINE_EXCEEDED
            || status.getCode() == Status.Code.UNAVAILABLE
        ? Status.UNAVAILABLE
            .withDescription("relay to leader " + leader.id() + " failed: " + status)
            .asRuntimeException()
        : status.asRuntimeException();
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<WatchEvent> out) {
    watchHub.subscribe(
        request.getFromVersion(),
        (ServerCallStreamObserver<WatchEvent>) out,
        CallerRules.caller().map(NodeIdentity::toString));
  }
}
