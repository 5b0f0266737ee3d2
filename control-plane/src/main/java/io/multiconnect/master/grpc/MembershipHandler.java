package io.multiconnect.master.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.net.HostPort;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Master;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.port.Leaders;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.port.Membership;
import io.multiconnect.master.port.Proposer;
import io.multiconnect.master.port.StateView;
import io.multiconnect.master.raft.Proposal;
import io.multiconnect.proto.v1.AddMasterRequest;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.GetLocalRaftStatusRequest;
import io.multiconnect.proto.v1.ListMastersResponse;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.RemoveMasterRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adding and removing masters (Admin AddMaster, RemoveMaster), on the leader: a new master is
 * checked, asked at its API address who it is, written to the replicated directory, then made a
 * member through a Ratis configuration change. Answers with every member's status.
 */
final class MembershipHandler {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipHandler.class);

  private final Leaders leaders;
  private final Proposer proposer;
  private final StateView state;
  private final Membership membership;
  private final LeaderChannels channels;
  private final StatusView status;

  MembershipHandler(
      Leaders leaders,
      Proposer proposer,
      StateView state,
      Membership membership,
      LeaderChannels channels,
      StatusView status) {
    this.leaders = leaders;
    this.proposer = proposer;
    this.state = state;
    this.membership = membership;
    this.channels = channels;
    this.status = status;
  }

  void add(AddMasterRequest request, StreamObserver<ListMastersResponse> out) {
    Optional<Leadership> leading = GrpcErrors.leaderOnly(leaders, out);
    if (leading.isEmpty()) {
      return;
    }
    String id = request.getMasterId();
    Optional<Rejection> refused = checkNewMaster(request).or(() -> probeNewMaster(request));
    if (refused.isPresent()) {
      out.onError(GrpcErrors.invalid(refused.get()));
      return;
    }
    // The directory entry first: once the new master is a member, every master can route to it.
    Proposal p =
        proposer.propose(
            new Command.PutMaster(
                new Master(id, request.getRaftAddress(), request.getApiAddress())),
            leading.get().term());
    if (!(p instanceof Proposal.Committed)) {
      out.onError(GrpcErrors.of(p, leaders.self().id(), leaders.hint()));
      return;
    }
    Map<String, String> conf = membership.currentRaftAddresses();
    conf.put(id, request.getRaftAddress());
    changeMembership(conf, "adding " + id, out);
  }

  private Optional<Rejection> checkNewMaster(AddMasterRequest request) {
    String id = request.getMasterId();
    if (membership.currentPeerIds().contains(id)) {
      return Optional.of(new Rejection("master_id", "master '" + id + "' is already a member"));
    }
    for (String address : List.of(request.getRaftAddress(), request.getApiAddress())) {
      try {
        HostPort.parse("address", address);
      } catch (IllegalArgumentException e) {
        return Optional.of(new Rejection("address", "must be host:port, got '" + address + "'"));
      }
    }
    return state
        .state()
        .validate(new Command.PutMaster(new Master(id, request.getRaftAddress(), "")));
  }

  /**
   * Asks the new master itself, at its API address, who it is: a typo in an address would otherwise
   * leave Ratis trying to reach a peer that does not exist.
   */
  private Optional<Rejection> probeNewMaster(AddMasterRequest request) {
    // With TLS, only a server whose certificate names master/<master_id> is reached.
    ManagedChannel probe = channels.toMaster(request.getApiAddress(), request.getMasterId());
    try {
      MasterStatus s =
          AdminGrpc.newBlockingStub(probe)
              .withDeadlineAfter(StatusView.PEER_STATUS_DEADLINE_MS * 2, TimeUnit.MILLISECONDS)
              .getLocalRaftStatus(GetLocalRaftStatusRequest.getDefaultInstance());
      if (!s.getId().equals(request.getMasterId())
          || !s.getRaftAddress().equals(request.getRaftAddress())) {
        return Optional.of(
            new Rejection(
                "master_id",
                "the master at "
                    + request.getApiAddress()
                    + " is "
                    + s.getId()
                    + " with Raft address "
                    + s.getRaftAddress()));
      }
      int clusterVersion = state.state().clusterVersion();
      if (s.getSupportedClusterVersion() < clusterVersion) {
        // It would stop at the first entry it could not apply, a voter the group counts on.
        return Optional.of(
            new Rejection(
                "master_id",
                request.getMasterId()
                    + " runs a release that supports cluster version "
                    + s.getSupportedClusterVersion()
                    + " at most, and the cluster is at "
                    + clusterVersion
                    + ": install the cluster's release on it first"));
      }
      return Optional.empty();
    } catch (StatusRuntimeException e) {
      return Optional.of(
          new Rejection(
              "api_address",
              "no master answers at "
                  + request.getApiAddress()
                  + " ("
                  + e.getStatus().getCode()
                  + "): start it first, with a certificate for master/"
                  + request.getMasterId()));
    } finally {
      Endpoints.shutdown(List.of(probe));
    }
  }

  void remove(RemoveMasterRequest request, StreamObserver<ListMastersResponse> out) {
    if (GrpcErrors.leaderOnly(leaders, out).isEmpty()) {
      return;
    }
    String id = request.getMasterId();
    Map<String, String> conf = membership.currentRaftAddresses();
    if (!conf.containsKey(id)) {
      out.onError(
          GrpcErrors.invalid(new Rejection("master_id", "master '" + id + "' is not a member")));
      return;
    }
    if (id.equals(leaders.self().id())) {
      out.onError(
          GrpcErrors.invalid(
              new Rejection(
                  "master_id",
                  id + " is the leader; transfer leadership first (mcctl leader transfer)")));
      return;
    }
    conf.remove(id);
    changeMembership(conf, "removing " + id, out);
  }

  private void changeMembership(
      Map<String, String> conf, String what, StreamObserver<ListMastersResponse> out) {
    Optional<String> failed = membership.setConfiguration(conf);
    LOG.info("admin: {} (members {}): {}", what, conf.keySet(), failed.orElse("done"));
    if (failed.isPresent()) {
      out.onError(
          Status.UNAVAILABLE
              .withDescription(
                  what + " failed or is still in progress (see mcctl master list): " + failed.get())
              .asRuntimeException());
      return;
    }
    out.onNext(
        ListMastersResponse.newBuilder().addAllMasters(status.masters(leaders.hint())).build());
    out.onCompleted();
  }
}
