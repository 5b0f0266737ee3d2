package io.multiconnect.client;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.proto.v1.AddMasterRequest;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.GetSettingsRequest;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.ListMastersRequest;
import io.multiconnect.proto.v1.LoginRequest;
import io.multiconnect.proto.v1.LoginResponse;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.MovePrimaryRequest;
import io.multiconnect.proto.v1.MovePrimaryResponse;
import io.multiconnect.proto.v1.RemoveMasterRequest;
import io.multiconnect.proto.v1.RotateTokenKeyRequest;
import io.multiconnect.proto.v1.RotateTokenKeyResponse;
import io.multiconnect.proto.v1.SetClusterVersionRequest;
import io.multiconnect.proto.v1.SetClusterVersionResponse;
import io.multiconnect.proto.v1.SetDrainedRequest;
import io.multiconnect.proto.v1.SetShardCountRequest;
import io.multiconnect.proto.v1.SetShardCountResponse;
import io.multiconnect.proto.v1.TakeSnapshotRequest;
import io.multiconnect.proto.v1.TakeSnapshotResponse;
import io.multiconnect.proto.v1.TransferLeadershipRequest;
import io.multiconnect.proto.v1.TransferLeadershipResponse;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The Admin API from any master address: reads go to the first master that answers, writes follow a
 * follower's pointer to the leader. Every call has a deadline; unavailable masters are retried with
 * exponential backoff, a bounded number of times. Failures come as {@link AdminException}.
 * Thread-safe.
 */
public final class AdminClient implements AutoCloseable {
  /**
   * Defaults: 3 s per call, 10 attempts, backoff from 100 ms doubling to at most 400 ms: about 3 s
   * of patience in all (enough to wait out an election), tried at least every 400 ms (a new leader
   * is found within 400 ms of its election; docs/benchmarks-log-2026-11.md).
   */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(3);

  public static final int DEFAULT_ATTEMPTS = 10;
  public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(100);

  private final List<String> masters;
  private final NodeTls tls;
  private final Duration deadline;
  private final int attempts;
  private final Duration backoff;
  private final Map<String, ManagedChannel> channels;
  private final boolean ownsChannels;

  /** Value of the {@code authorization} header sent with every call; empty: none. */
  private final String authorization;

  /** A client to {@code masters} over {@code tls}, with the default deadline and retries. */
  public AdminClient(List<String> masters, NodeTls tls) {
    this(masters, tls, DEFAULT_DEADLINE, DEFAULT_ATTEMPTS, DEFAULT_BACKOFF);
  }

  public AdminClient(
      List<String> masters, NodeTls tls, Duration deadline, int attempts, Duration backoff) {
    this(masters, tls, deadline, attempts, backoff, "");
  }

  /** {@code authorization}: see {@link #withAuthorization}; empty for none. */
  public AdminClient(
      List<String> masters,
      NodeTls tls,
      Duration deadline,
      int attempts,
      Duration backoff,
      String authorization) {
    this(masters, tls, deadline, attempts, backoff, new ConcurrentHashMap<>(), true, authorization);
  }

  private AdminClient(
      List<String> masters,
      NodeTls tls,
      Duration deadline,
      int attempts,
      Duration backoff,
      Map<String, ManagedChannel> channels,
      boolean ownsChannels,
      String authorization) {
    if (masters.isEmpty()) {
      throw new IllegalArgumentException("at least one master address is required");
    }
    this.masters = List.copyOf(masters);
    this.tls = tls;
    this.deadline = deadline;
    this.attempts = Math.max(1, attempts);
    this.backoff = backoff;
    this.channels = channels;
    this.ownsChannels = ownsChannels;
    this.authorization = authorization;
  }

  /**
   * The same client sending {@code authorization} ({@code Bearer <token>} or {@code Basic ...})
   * with every call. It shares this client's connections; closing it closes nothing.
   */
  public AdminClient withAuthorization(String authorization) {
    return new AdminClient(
        masters, tls, deadline, attempts, backoff, channels, false, authorization);
  }

  /** {@code Basic} credentials for {@link #withAuthorization}. */
  public static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** Checks a password (changing it first when {@code newPassword} is not empty); a token. */
  public LoginResponse login(String user, String password, String newPassword) {
    return call(
        s ->
            s.login(
                LoginRequest.newBuilder()
                    .setUsername(user)
                    .setPassword(password)
                    .setNewPassword(newPassword)
                    .build()));
  }

  private AdminGrpc.AdminBlockingStub stub(String target) {
    AdminGrpc.AdminBlockingStub stub =
        AdminGrpc.newBlockingStub(channel(target))
            .withDeadline(Deadline.after(deadline.toMillis(), TimeUnit.MILLISECONDS));
    if (authorization.isEmpty()) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(GrpcWire.AUTHORIZATION, authorization);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** The cluster as the leader sees it (heartbeat ages, leases and mirror lag need the leader). */
  public ClusterStatus status() {
    ClusterStatus any = call(s -> s.getStatus(GetStatusRequest.getDefaultInstance()));
    String leader = any.getLeader().getLeaderAddress();
    if (leader.isEmpty() || any.getAnsweredBy().equals(any.getLeader().getLeaderId())) {
      return any;
    }
    try {
      return stub(leader).getStatus(GetStatusRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      return any; // the follower's view is still worth showing
    }
  }

  /**
   * Streams assignment changes, starting with the full map at {@code fromVersion} (0: the newest),
   * into {@code sink} until it returns false. Any master serves the stream; when one fails, the
   * stream resumes on the next from the last version seen, up to the attempt limit in a row.
   */
  public void watch(long fromVersion, Predicate<WatchEvent> sink) {
    long version = fromVersion;
    int failures = 0;
    long pauseNanos = backoff.toNanos();
    String last = "";
    for (int i = 0; failures < attempts; i++) {
      String target = masters.get(i % masters.size());
      try (Context.CancellableContext ctx = Context.current().withCancellation()) {
        Context previous = ctx.attach();
        try {
          Iterator<WatchEvent> events =
              ControlPlaneGrpc.newBlockingStub(channel(target))
                  .watch(
                      WatchRequest.newBuilder()
                          .setFromVersion(version)
                          .setWatcherId("mcctl")
                          .build());
          while (events.hasNext()) {
            WatchEvent e = events.next();
            failures = 0;
            pauseNanos = backoff.toNanos();
            if (e.hasProgress()) {
              continue;
            }
            version = e.getVersion();
            if (!sink.test(e)) {
              return;
            }
          }
          last = target + ": stream ended";
        } catch (StatusRuntimeException e) {
          last = target + ": " + e.getStatus();
        } finally {
          ctx.detach(previous);
        }
      }
      failures++;
      LockSupport.parkNanos(pauseNanos);
      pauseNanos = Math.min(pauseNanos * 2, backoff.toNanos() * 16);
    }
    throw new AdminException(
        AdminException.Kind.NO_LEADER,
        "",
        Status.Code.UNAVAILABLE,
        "no master could be watched after " + attempts + " attempts (last: " + last + ")");
  }

  public SetShardCountResponse setShardCount(int shards) {
    return call(
        s -> s.setShardCount(SetShardCountRequest.newBuilder().setShardCount(shards).build()));
  }

  /** Raises the cluster version (docs/operations.md, Rolling upgrades). */
  public SetClusterVersionResponse setClusterVersion(int version) {
    return call(
        s ->
            s.setClusterVersion(SetClusterVersionRequest.newBuilder().setVersion(version).build()));
  }

  public ClusterSettings settings() {
    return call(s -> s.getSettings(GetSettingsRequest.getDefaultInstance()));
  }

  /** 0 leaves a setting as it is. */
  public ClusterSettings updateSettings(long heartbeatIntervalMs, long unhealthyIntervalMs) {
    return call(
        s ->
            s.updateSettings(
                UpdateSettingsRequest.newBuilder()
                    .setHeartbeatIntervalMs(heartbeatIntervalMs)
                    .setUnhealthyIntervalMs(unhealthyIntervalMs)
                    .build()));
  }

  public TransferLeadershipResponse transferLeadership(String masterId) {
    return call(
        s ->
            s.transferLeadership(
                TransferLeadershipRequest.newBuilder().setMasterId(masterId).build()));
  }

  public MovePrimaryResponse movePrimary(int shard, String coreappId) {
    return call(
        s ->
            s.movePrimary(
                MovePrimaryRequest.newBuilder().setShard(shard).setCoreappId(coreappId).build()));
  }

  public CoreappStatus setDrained(String coreappId, boolean drained) {
    return call(
        s ->
            s.setDrained(
                SetDrainedRequest.newBuilder()
                    .setCoreappId(coreappId)
                    .setDrained(drained)
                    .build()));
  }

  public List<MasterStatus> listMasters() {
    return call(s -> s.listMasters(ListMastersRequest.getDefaultInstance())).getMastersList();
  }

  /** Adds a master that already runs; returns the members after the change. */
  public List<MasterStatus> addMaster(String id, String raftAddress, String apiAddress) {
    return call(s ->
            s.addMaster(
                AddMasterRequest.newBuilder()
                    .setMasterId(id)
                    .setRaftAddress(raftAddress)
                    .setApiAddress(apiAddress)
                    .build()))
        .getMastersList();
  }

  public List<MasterStatus> removeMaster(String id) {
    return call(s -> s.removeMaster(RemoveMasterRequest.newBuilder().setMasterId(id).build()))
        .getMastersList();
  }

  public TakeSnapshotResponse takeSnapshot() {
    return call(s -> s.takeSnapshot(TakeSnapshotRequest.getDefaultInstance()));
  }

  /**
   * A new token signing key (authenticated); tokens of the old one stay valid until they expire,
   * unless {@code dropPrevious}.
   */
  public RotateTokenKeyResponse rotateTokenKey(boolean dropPrevious) {
    return call(
        s ->
            s.rotateTokenKey(
                RotateTokenKeyRequest.newBuilder().setDropPrevious(dropPrevious).build()));
  }

  /** Runs one Admin call against the masters, following the leader and retrying as described. */
  public <T> T call(Function<AdminGrpc.AdminBlockingStub, T> call) {
    String target = masters.get(0);
    int next = 1;
    long pauseNanos = backoff.toNanos();
    String last = "";
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        return call.apply(stub(target));
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        Metadata trailers = e.getTrailers();
        String leader = trailers == null ? null : trailers.get(GrpcWire.LEADER);
        last = target + ": " + e.getStatus().getDescription();
        if (code == Status.Code.INVALID_ARGUMENT) {
          String field = trailers == null ? null : trailers.get(GrpcWire.FIELD);
          throw new AdminException(
              AdminException.Kind.INVALID_ARGUMENT,
              field == null ? "" : field,
              code,
              String.valueOf(e.getStatus().getDescription()));
        }
        if (code == Status.Code.FAILED_PRECONDITION && leader != null) {
          target = leader; // a follower named the leader: go there at once
          continue;
        }
        if (code == Status.Code.UNAUTHENTICATED) {
          throw new AdminException(
              AdminException.Kind.UNAUTHENTICATED,
              "",
              code,
              String.valueOf(e.getStatus().getDescription()));
        }
        if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
          throw new AdminException(
              AdminException.Kind.FAILED, "", code, String.valueOf(e.getStatus().getDescription()));
        }
        target = masters.get(next++ % masters.size());
        LockSupport.parkNanos(pauseNanos);
        pauseNanos = nextPauseNanos(pauseNanos, backoff);
      }
    }
    throw new AdminException(
        AdminException.Kind.NO_LEADER,
        "",
        Status.Code.UNAVAILABLE,
        "no leader reachable at "
            + String.join(",", masters)
            + " after "
            + attempts
            + " attempts (last: "
            + last
            + ")");
  }

  /** The pause after {@code pauseNanos}: doubled, at most four times the first one. */
  static long nextPauseNanos(long pauseNanos, Duration backoff) {
    return Math.min(pauseNanos * 2, backoff.toNanos() * 4);
  }

  private ManagedChannel channel(String hostPort) {
    return channels.computeIfAbsent(
        hostPort,
        a -> {
          try {
            return Endpoints.channel(a, tls, PeerCheck.role(NodeIdentity.Role.MASTER));
          } catch (IllegalArgumentException e) {
            throw new AdminException(
                AdminException.Kind.INVALID_ARGUMENT,
                "masters",
                Status.Code.INVALID_ARGUMENT,
                "'" + a + "' is not host:port");
          }
        });
  }

  @Override
  public void close() {
    if (!ownsChannels) {
      return;
    }
    Endpoints.shutdown(channels.values());
  }
}
