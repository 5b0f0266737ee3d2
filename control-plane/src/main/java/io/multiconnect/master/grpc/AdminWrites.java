package io.multiconnect.master.grpc;

import io.grpc.stub.StreamObserver;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.port.Leaders;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.port.Proposer;
import io.multiconnect.master.raft.Proposal;
import java.util.Optional;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An Admin write: proposed in the leader's term, answered once committed or with why not. */
final class AdminWrites {
  private static final Logger LOG = LoggerFactory.getLogger(AdminWrites.class);

  private final Leaders leaders;
  private final Proposer proposer;

  AdminWrites(Leaders leaders, Proposer proposer) {
    this.leaders = leaders;
    this.proposer = proposer;
  }

  /** Proposes {@code command} if this master leads; otherwise says where the leader is. */
  <T> void commit(Command command, StreamObserver<T> out, LongFunction<T> response) {
    Optional<Leadership> leading = GrpcErrors.leaderOnly(leaders, out);
    if (leading.isPresent()) {
      commit(leading.get(), command, out, response);
    }
  }

  /**
   * Proposes {@code command}, decided in {@code leading}; answers {@code response} of its index
   * once committed.
   */
  <T> void commit(
      Leadership leading, Command command, StreamObserver<T> out, LongFunction<T> response) {
    Proposal p = proposer.propose(command, leading.term());
    LOG.info("admin: {} -> {}", command, p);
    if (p instanceof Proposal.Committed c) {
      out.onNext(response.apply(c.index()));
      out.onCompleted();
    } else {
      out.onError(GrpcErrors.of(p, leaders.self().id(), leaders.hint()));
    }
  }
}
