package io.multiconnect.master;

import io.multiconnect.common.auth.Tokens;
import io.multiconnect.master.auth.Passwords;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Coordinator;
import io.multiconnect.master.port.Leadership;
import io.multiconnect.master.port.Proposer;
import io.multiconnect.master.port.StateView;
import io.multiconnect.master.raft.Proposal;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One planning round of a leadership, as the control loop runs it: a new cluster's first entries,
 * then the coordinator's commands, proposed one at a time, each outcome reported back. Every
 * proposal of the round carries the term of the leadership that decided it, whatever leadership
 * this master holds by the time the proposal is made (docs/safety.md, "Proposals count only in
 * their own term").
 */
final class PlanningRound {
  private static final Logger LOG = LoggerFactory.getLogger(PlanningRound.class);

  private final String nodeId;
  private final int initialShards;
  private final StateView state;
  private final Proposer proposer;

  PlanningRound(String nodeId, int initialShards, StateView state, Proposer proposer) {
    this.nodeId = nodeId;
    this.initialShards = initialShards;
    this.state = state;
    this.proposer = proposer;
  }

  /** Runs one round of {@code leadership}; false when some proposal did not commit. */
  boolean run(Leadership leadership) {
    long term = leadership.term();
    Coordinator coordinator = leadership.coordinator();
    if (state.state().tokenKey().isEmpty()) {
      // A new cluster: create the token key and the default admin (password change required).
      Proposal init =
          proposer.propose(
              new Command.InitAuth(
                  Tokens.newSigningKey(), Passwords.hash(Passwords.DEFAULT_ADMIN_PASSWORD)),
              term);
      if (init instanceof Proposal.Committed && initialShards > 1) {
        // This leader created the cluster: start it with the configured shard count.
        Proposal shards = proposer.propose(new Command.SetShardCount(initialShards), term);
        LOG.info("new cluster: {} initial shards: {}", initialShards, shards);
      }
    }
    if (!state.state().tokenKey().isEmpty() && !Tokens.isSigningKey(state.state().tokenKey())) {
      // A cluster from before ES256 tokens: its HMAC key gives way to a signing key, and the
      // tokens it signed stop being accepted (users log in again).
      Proposal replaced = proposer.propose(new Command.SetTokenKey(Tokens.newSigningKey()), term);
      LOG.warn(
          "the token key predates ES256 tokens: replaced ({}); tokens issued before must be"
              + " renewed by logging in again",
          replaced);
    }
    List<Command> round = coordinator.poll(state.state());
    boolean allCommitted = true;
    for (Command c : round) {
      if (!leadership.isCurrent()) {
        // Decided by a leadership that has ended: what is left is not proposed at all.
        coordinator.proposalDone(c, Coordinator.ProposalOutcome.NOT_LOGGED);
        allCommitted = false;
        continue;
      }
      Proposal p = proposer.propose(c, term);
      Coordinator.ProposalOutcome outcome = outcome(p);
      coordinator.proposalDone(c, outcome);
      if (outcome == Coordinator.ProposalOutcome.COMMITTED) {
        LOG.info("leader {} committed {} at {}", nodeId, c, p);
      } else {
        allCommitted = false;
        LOG.warn("leader {}: {} ended {}: {}", nodeId, c, outcome, p);
      }
    }
    return allCommitted;
  }

  /**
   * What a proposal's result says of its entry. Only a refusal by validation and a no-op for a
   * stale term are definite; "not the leader" may come after the entry was appended
   * (Proposal.NotLeader).
   */
  static Coordinator.ProposalOutcome outcome(Proposal p) {
    if (p instanceof Proposal.Committed) {
      return Coordinator.ProposalOutcome.COMMITTED;
    }
    return p instanceof Proposal.Rejected || p instanceof Proposal.Stale
        ? Coordinator.ProposalOutcome.NOT_LOGGED
        : Coordinator.ProposalOutcome.UNKNOWN;
  }
}
