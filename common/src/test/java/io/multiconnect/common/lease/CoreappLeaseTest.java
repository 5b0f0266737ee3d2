package io.multiconnect.common.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.clock.FakeClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CoreappLeaseTest {
  private static final Duration LEASE = Duration.ofSeconds(4);
  private static final Assignment SHARD0 = new Assignment(0, "a", 5);

  private final FakeClock clock = new FakeClock(0);
  private final CoreappLease lease = new CoreappLease();

  @Test
  void aLateAcknowledgementNeverExtendsTheLeasePastItsSendTime() {
    long sentAt = clock.getAsLong();
    long seq = lease.beforeSend(sentAt);
    clock.advance(Duration.ofSeconds(3)); // the answer is three seconds late
    lease.onAnswer(seq, Optional.of(SHARD0), LEASE, List.of());

    clock.set(sentAt + LEASE.toNanos() - 1);
    assertEquals(Optional.of(SHARD0), lease.active(clock.getAsLong()));
    clock.set(sentAt + LEASE.toNanos());
    assertEquals(Optional.empty(), lease.active(clock.getAsLong()));
  }

  @Test
  void answersOutOfOrderAreIgnored() {
    long first = lease.beforeSend(0);
    long second = lease.beforeSend(Duration.ofSeconds(1).toNanos());
    lease.onAnswer(second, Optional.empty(), Duration.ZERO, List.of());
    lease.onAnswer(first, Optional.of(SHARD0), LEASE, List.of());
    assertEquals(Optional.empty(), lease.active(0), "the older grant arrived after a newer 'no'");
  }

  @Test
  void aWithheldRenewalDoesNotExtendTheLease() {
    lease.onAnswer(lease.beforeSend(0), Optional.of(SHARD0), LEASE, List.of());
    lease.onAnswer(
        lease.beforeSend(Duration.ofSeconds(2).toNanos()),
        Optional.of(SHARD0),
        Duration.ZERO,
        List.of());
    assertEquals(0 + LEASE.toNanos(), lease.leaseExpiresAtNanos());
  }

  @Test
  void aReleasedEpochIsNeverTakenBack() {
    lease.onAnswer(lease.beforeSend(0), Optional.of(SHARD0), LEASE, List.of());
    assertEquals(Optional.of(5L), lease.relinquish());
    lease.onAnswer(lease.beforeSend(1), Optional.of(SHARD0), LEASE, List.of());
    assertEquals(Optional.empty(), lease.active(2));
  }

  @Test
  void aRevokedEpochIsDroppedAndReportedForRelease() {
    lease.onAnswer(lease.beforeSend(0), Optional.of(SHARD0), LEASE, List.of());
    List<Long> release =
        lease.onAnswer(lease.beforeSend(1), Optional.empty(), Duration.ZERO, List.of(5L));
    assertEquals(List.of(5L), release);
    assertTrue(lease.assigned().isEmpty());
  }
}
