package io.multiconnect.master.grpc;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.LeaseRules;
import io.multiconnect.common.lease.Revocation;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Coordinator;
import io.multiconnect.master.core.Coreapp;
import io.multiconnect.master.mirror.MirrorPublisher;
import io.multiconnect.master.port.Leaders;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.port.Membership;
import io.multiconnect.master.port.RaftControl;
import io.multiconnect.master.port.StateView;
import io.multiconnect.master.raft.RaftAccess;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.GetLocalRaftStatusRequest;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.MirrorStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Assembles what the status calls answer: the cluster as this master sees it (shard map, moves,
 * mirror, every coreapp with its health and lease margin as the leader knows them), and every
 * member's Raft status, its own and the others' asked in parallel. Reads only; the Admin status
 * calls and the master's metrics show the same figures.
 */
public final class StatusView {
  /** How long the other masters' Raft status is waited for. */
  static final long PEER_STATUS_DEADLINE_MS = 500;

  private final Leaders leaders;
  private final StateView state;
  private final RaftControl raft;
  private final Membership membership;
  private final Optional<MirrorPublisher> mirror;
  private final LatencyHistogram heartbeatHandling;
  private final LeaderChannels channels;
  private final String zone;
  private final int supportedVersion;

  public StatusView(
      Leaders leaders,
      StateView state,
      RaftControl raft,
      Membership membership,
      Optional<MirrorPublisher> mirror,
      LatencyHistogram heartbeatHandling,
      LeaderChannels channels,
      String zone,
      int supportedVersion) {
    this.leaders = leaders;
    this.state = state;
    this.raft = raft;
    this.membership = membership;
    this.mirror = mirror;
    this.heartbeatHandling = heartbeatHandling;
    this.channels = channels;
    this.zone = zone;
    this.supportedVersion = supportedVersion;
  }

  /** The cluster's status; with {@code localOnly}, the members without asking them. */
  public ClusterStatus cluster(boolean localOnly) {
    ClusterState s = state.state();
    Optional<PeerAddress> leader = leaders.hint();
    ClusterStatus.Builder b =
        ClusterStatus.newBuilder()
            .setAnsweredBy(leaders.self().id())
            .setLeader(ControlPlaneService.hint(leader))
            .setTerm(raft.currentTerm())
            .setAppliedIndex(s.version())
            .setClusterVersion(s.clusterVersion())
            .setShardMap(Protos.shardMap(s));
    b.addAllMasters(localOnly ? membersOnly(leader) : masters(leader));
    b.setMirror(mirrorStatus(s));
    s.moves().forEach(b::putMoves);
    for (String id : s.coreapps().keySet()) {
      b.addCoreapps(coreapp(s, id));
    }
    return b.build();
  }

  /** This master's own Raft status, with its heartbeat handling times. */
  public MasterStatus localWithHeartbeats() {
    return local().toBuilder().setHeartbeatHandling(heartbeatHandling.toProto()).build();
  }

  private MasterStatus local() {
    RaftAccess.LocalStatus s = raft.localStatus();
    PeerAddress self = leaders.self();
    return MasterStatus.newBuilder()
        .setId(self.id())
        .setAddress(self.apiAddress())
        .setRaftAddress(self.raftAddress())
        .setLeader(leaders.current().isPresent())
        .setRole(s.role())
        .setTerm(s.term())
        .setCommitIndex(s.commitIndex())
        .setAppliedIndex(s.appliedIndex())
        .setZone(zone)
        .setSupportedClusterVersion(supportedVersion)
        .build();
  }

  /** The members with their addresses and who leads, without asking anyone. */
  private List<MasterStatus> membersOnly(Optional<PeerAddress> leader) {
    return membership.members().stream().map(p -> member(p, leader).build()).toList();
  }

  /** A member's addresses and whether it leads, as this master knows them. */
  private static MasterStatus.Builder member(PeerAddress p, Optional<PeerAddress> leader) {
    return MasterStatus.newBuilder()
        .setId(p.id())
        .setAddress(p.apiAddress())
        .setRaftAddress(p.raftAddress())
        .setLeader(leader.map(l -> l.id().equals(p.id())).orElse(false));
  }

  /** Every member's Raft status: this master's own, the others' asked in parallel. */
  List<MasterStatus> masters(Optional<PeerAddress> leader) {
    String self = leaders.self().id();
    List<PeerAddress> members = membership.members();
    List<ListenableFuture<MasterStatus>> asked = new ArrayList<>();
    for (PeerAddress p : members) {
      asked.add(
          p.id().equals(self)
              ? Futures.immediateFuture(local())
              : AdminGrpc.newFutureStub(channels.to(p))
                  .withDeadlineAfter(PEER_STATUS_DEADLINE_MS, TimeUnit.MILLISECONDS)
                  .getLocalRaftStatus(GetLocalRaftStatusRequest.getDefaultInstance()));
    }
    List<MasterStatus> out = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      PeerAddress p = members.get(i);
      MasterStatus.Builder m = member(p, leader);
      try {
        m.mergeFrom(asked.get(i).get());
      } catch (ExecutionException e) {
        m.setRole("unreachable").setError(Status.fromThrowable(e.getCause()).toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        m.setRole("unreachable").setError("interrupted");
      }
      // The peer's own answer says whether it thinks it leads; this master's view decides.
      out.add(m.setLeader(leader.map(l -> l.id().equals(p.id())).orElse(false)).build());
    }
    return out;
  }

  private MirrorStatus mirrorStatus(ClusterState s) {
    if (mirror.isEmpty()) {
      return MirrorStatus.getDefaultInstance();
    }
    long published = mirror.get().publishedVersion();
    long lag = published < 0 ? s.version() : Math.max(0, s.version() - published);
    long behindMs =
        published < 0
            ? -1
            : lag == 0 ? 0 : (System.nanoTime() - mirror.get().publishedAtNanos()) / 1_000_000;
    return MirrorStatus.newBuilder()
        .setEnabled(true)
        .setMirroredIndex(Math.max(0, published))
        .setLagEntries(lag)
        .setBehindForMs(behindMs)
        .build();
  }

  /**
   * One coreapp's status; its health, heartbeat age and lease margin only as a leader knows them
   * (-1 and unhealthy on a follower).
   */
  CoreappStatus coreapp(ClusterState s, String id) {
    Optional<Coordinator> leading = leaders.current().map(Leadership::coordinator);
    Coreapp c = s.coreapps().get(id);
    CoreappStatus.Builder cs =
        CoreappStatus.newBuilder()
            .setId(c.id())
            .setIncarnation(c.incarnation())
            .setActingMarginMs(c.actingMargin().toMillis())
            .setAddress(c.address())
            .setZone(c.zone())
            .setShard(-1);
    List<Revocation> releasing = s.revocationsOf(id);
    Optional<Assignment> primary = s.assignmentOf(id);
    if (primary.isPresent()) {
      cs.setState("primary").setShard(primary.get().shard()).setEpoch(primary.get().epoch());
    } else if (!releasing.isEmpty()) {
      cs.setState("releasing").setEpoch(releasing.get(0).epoch());
    } else {
      cs.setState(c.drained() ? "drained" : "secondary");
    }
    OptionalLong age = leading.map(l -> l.heartbeatAgeNanos(s, id)).orElse(OptionalLong.empty());
    return cs.setLastHeartbeatAgeMs(age.isPresent() ? age.getAsLong() / 1_000_000 : -1)
        .setHealthy(leading.map(l -> l.isHealthy(s, id)).orElse(false))
        .setLeaseRemainingMs(leading.isPresent() ? leaseRemainingMs(s, id, age) : -1)
        .build();
  }

  /** Upper bound of what is left of the coreapp's lease, from the leader's last answer to it. */
  private static long leaseRemainingMs(ClusterState s, String coreappId, OptionalLong age) {
    boolean mayHold =
        s.assignmentOf(coreappId).isPresent() || !s.revocationsOf(coreappId).isEmpty();
    if (!mayHold || age.isEmpty()) {
      return 0;
    }
    long lease = LeaseRules.leaseDuration(s.settings().unhealthyInterval()).toMillis();
    return Math.max(0, lease - age.getAsLong() / 1_000_000);
  }
}
