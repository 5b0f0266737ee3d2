package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Chaos seed 2030: leader m3 of term 3, cut off in a minority, decided to move shard 1 (its primary
 * looked dead from there); after the heal the proposal was appended by m2, leader of term 4, whose
 * primary of shard 1 was alive and held a lease: two primaries. A command counts only in an entry
 * of the term it was decided in.
 */
class StaleProposalTest {
  @Test
  void aCommandCountsOnlyInAnEntryOfItsProposersTerm() {
    assertFalse(MasterStateMachine.staleProposal(4, 4));
    assertTrue(MasterStateMachine.staleProposal(3, 4), "a stale leader's decision");
    assertTrue(MasterStateMachine.staleProposal(5, 4));
    assertFalse(MasterStateMachine.staleProposal(0, 4), "entries written before the stamp existed");
  }
}
