package io.multiconnect.master.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.clock.FakeClock;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Coordinator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LeadershipTest {
  private final AtomicReference<CompletableFuture<Long>> read = new AtomicReference<>();
  private final Leadership leadership =
      new Leadership(
          7,
          new Coordinator(
              new FakeClock(0), ClusterState.INITIAL, MasterConfig.DEFAULT_DEREGISTER_AFTER),
          () -> {
            read.set(new CompletableFuture<>());
            return read.get();
          });

  @Test
  void provenOnlyByAReadOfItsOwnTerm() {
    CompletableFuture<Boolean> same = leadership.prove();
    read.get().complete(7L);
    assertTrue(same.join());

    CompletableFuture<Boolean> later = leadership.prove();
    read.get().complete(8L);
    assertFalse(later.join(), "this master leads again, but in another term");

    CompletableFuture<Boolean> none = leadership.prove();
    read.get().complete(-1L);
    assertFalse(none.join(), "not the leader at the read's moment");
  }

  /**
   * A term of -1 ("not the leader", as the proof answers) can never be a leadership's, so no such
   * proof can ever equal it (before the Leadership object, a master read its term from a field that
   * a step-down reset to -1, the very value a failed proof yields).
   */
  @Test
  void noLeadershipHasTheTermOfAFailedProof() {
    Coordinator c =
        new Coordinator(
            new FakeClock(0), ClusterState.INITIAL, MasterConfig.DEFAULT_DEREGISTER_AFTER);
    assertThrows(
        IllegalArgumentException.class,
        () -> new Leadership(-1, c, () -> CompletableFuture.completedFuture(-1L)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Leadership(0, c, () -> CompletableFuture.completedFuture(0L)));
  }

  @Test
  void aProofThatCompletesAfterTheEndProvesNothing() {
    CompletableFuture<Boolean> proof = leadership.prove();
    leadership.end();
    read.get().complete(7L);
    assertFalse(proof.join());
    assertFalse(leadership.isCurrent());
    assertEquals(7, leadership.term());
  }
}
