package io.multiconnect.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.clock.FakeClock;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Coordinator;
import io.multiconnect.master.port.Leadership;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class LeadershipSlotTest {
  private final FakeClock clock = new FakeClock(0);
  private final LeadershipSlot slot = new LeadershipSlot();

  private Leadership leadership(long term) {
    return new Leadership(
        term,
        new Coordinator(clock, ClusterState.INITIAL, MasterConfig.DEFAULT_DEREGISTER_AFTER),
        () -> CompletableFuture.completedFuture(term));
  }

  @Test
  void aLeadershipWhoseStepDownRacedItsMakingIsEndedAtOnce() {
    // "Another master leads" ran first and found nothing to end; Ratis no longer has this master
    // lead when "ready" puts the leadership in place.
    assertEquals(Optional.empty(), slot.stepDown());
    Leadership late = leadership(3);
    assertFalse(slot.ready(late, term -> false));
    assertFalse(late.isCurrent(), "it grants no lease and plans nothing");
    assertEquals(Optional.empty(), slot.current());
  }

  @Test
  void aStepDownEndsTheLeadershipInPlace() {
    Leadership l = leadership(3);
    assertTrue(slot.ready(l, term -> term == 3));
    assertEquals(Optional.of(l), slot.current());
    assertEquals(Optional.of(l), slot.stepDown());
    assertFalse(l.isCurrent());
    assertEquals(Optional.empty(), slot.current());
  }

  @Test
  void aNewLeadershipEndsTheOneBefore() {
    Leadership first = leadership(3);
    Leadership second = leadership(5);
    slot.ready(first, term -> true);
    slot.ready(second, term -> true);
    assertFalse(first.isCurrent());
    assertEquals(Optional.of(second), slot.current());
  }
}
