package io.multiconnect.master.grpc;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.port.Leaders;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.raft.Proposal;
import java.util.Optional;

/**
 * The one table from our failure kinds to gRPC status codes:
 *
 * <table>
 *   <tr><th>kind</th><th>status</th><th>caller's next step</th></tr>
 *   <tr><td>{@link Rejection} (bad input)</td><td>INVALID_ARGUMENT, trailer {@code
 *       multiconnect-field}</td><td>fix the named field</td></tr>
 *   <tr><td>not the leader, leader known</td><td>FAILED_PRECONDITION, trailer {@code
 *       multiconnect-leader} = host:port</td><td>send to the leader</td></tr>
 *   <tr><td>no leader known</td><td>UNAVAILABLE</td><td>retry with backoff</td></tr>
 *   <tr><td>proposal failed or timed out</td><td>UNAVAILABLE (outcome unknown)</td><td>read the
 *       state, retry if idempotent</td></tr>
 * </table>
 */
public final class GrpcErrors {
  private GrpcErrors() {}

  public static StatusRuntimeException invalid(Rejection r) {
    Metadata trailers = new Metadata();
    trailers.put(GrpcWire.FIELD, r.field());
    return Status.INVALID_ARGUMENT
        .withDescription(r.field() + ": " + r.message())
        .asRuntimeException(trailers);
  }

  public static StatusRuntimeException notLeader(String selfId, Optional<PeerAddress> leader) {
    if (leader.isEmpty() || leader.get().id().equals(selfId)) {
      return Status.UNAVAILABLE
          .withDescription("master " + selfId + " is not the leader and knows of none; retry")
          .asRuntimeException();
    }
    Metadata trailers = new Metadata();
    trailers.put(GrpcWire.LEADER, leader.get().apiAddress());
    return Status.FAILED_PRECONDITION
        .withDescription(
            "master "
                + selfId
                + " is not the leader; the leader is "
                + leader.get().id()
                + " at "
                + leader.get().apiAddress())
        .asRuntimeException(trailers);
  }

  /**
   * This master's leadership, while it leads; otherwise answers {@code out} with where the leader
   * is, and is empty.
   */
  public static Optional<Leadership> leaderOnly(Leaders leaders, StreamObserver<?> out) {
    Optional<Leadership> leading = leaders.current();
    if (leading.isEmpty()) {
      out.onError(notLeader(leaders.self().id(), leaders.hint()));
    }
    return leading;
  }

  /** Maps a proposal that did not commit. */
  public static StatusRuntimeException of(
      Proposal p, String selfId, Optional<PeerAddress> leaderHint) {
    if (p instanceof Proposal.Rejected r) {
      return invalid(r.rejection());
    }
    if (p instanceof Proposal.NotLeader || p instanceof Proposal.Stale) {
      return notLeader(selfId, leaderHint);
    }
    if (p instanceof Proposal.Failed f) {
      return Status.UNAVAILABLE
          .withDescription("the write did not complete (outcome unknown): " + f.reason())
          .asRuntimeException();
    }
    return Status.INTERNAL.withDescription("unexpected outcome " + p).asRuntimeException();
  }
}
