package io.multiconnect.dataplane.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InboxTest {
  private final Inbox inbox = new Inbox(1_000);

  /** The first {@code n} WhatsApp ids of shard {@code shard} of {@code count}. */
  private static List<String> idsOf(int shard, int count, int n) {
    List<String> out = new ArrayList<>();
    for (long i = 15_550_000_000L; out.size() < n; i++) {
      if (Sharding.shardOf(Long.toString(i), count) == shard) {
        out.add(Long.toString(i));
      }
    }
    return out;
  }

  private InboundEvent add(String waId) {
    return inbox.add("message", "", waId, ByteString.copyFromUtf8("{}"), "");
  }

  private static List<String> ids(List<InboundEvent> events) {
    return events.stream().map(InboundEvent::getEventId).toList();
  }

  @Test
  void aSessionTakesOnlyItsRecipientsEventsOnceUntilItCloses() {
    InboundEvent mine = add(idsOf(0, 2, 1).get(0));
    InboundEvent other = add(idsOf(1, 2, 1).get(0));
    assertEquals(List.of(mine.getEventId()), ids(inbox.take("s1", 0, 2, 10)));
    assertEquals(List.of(), inbox.take("s1", 0, 2, 10), "in flight: not given twice");
    assertEquals(List.of(other.getEventId()), ids(inbox.take("s2", 1, 2, 10)));
    inbox.sessionClosed("s1"); // unacknowledged: waits again
    List<InboundEvent> again = inbox.take("s3", 0, 2, 10);
    assertEquals(List.of(mine.getEventId()), ids(again));
    assertEquals(1, again.get(0).getRedeliveries());
    assertEquals(1, inbox.acknowledge("s3", ids(again)));
    inbox.sessionClosed("s3");
    assertEquals(List.of(), inbox.take("s4", 0, 2, 10), "acknowledged: gone");
    assertEquals(new Inbox.Counts(2, 1, 1, 0, 1), inbox.counts());
  }

  @Test
  void anAcknowledgementFromAnotherSessionForgetsNothing() {
    InboundEvent e = add("15551234567");
    inbox.take("s1", 0, 1, 10);
    assertEquals(0, inbox.acknowledge("s2", List.of(e.getEventId())));
    assertEquals(1, inbox.acknowledge("s1", List.of(e.getEventId())));
    assertEquals(0, inbox.acknowledge("s1", List.of(e.getEventId())), "twice: once");
  }

  @Test
  void eventsFollowTheirRecipientsAcrossShardCounts() {
    // Events of every shard of 4, taken after a change to 2 and then to 8 shards: each goes to the
    // session whose shard has its recipient, and every one goes somewhere.
    Set<String> all = new HashSet<>();
    for (int shard = 0; shard < 4; shard++) {
      for (String waId : idsOf(shard, 4, 5)) {
        all.add(add(waId).getEventId());
      }
    }
    Set<String> seen = new HashSet<>();
    for (InboundEvent e : inbox.take("a", 1, 2, 100)) {
      assertEquals(1, Sharding.shardOf(e.getWaId(), 2));
      seen.add(e.getEventId());
    }
    for (int shard = 0; shard < 8; shard++) {
      for (InboundEvent e : inbox.take("b" + shard, shard, 8, 100)) {
        assertEquals(shard, Sharding.shardOf(e.getWaId(), 8));
        assertTrue(seen.add(e.getEventId()), "given once");
      }
    }
    assertEquals(all, seen);
  }

  @Test
  void aSessionTakesNoMoreThanAskedInTheOrderEventsCame() {
    List<String> made = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      made.add(add("15551234567").getEventId());
    }
    assertEquals(made.subList(0, 3), ids(inbox.take("s", 0, 1, 3)));
    inbox.sessionClosed("s");
    assertEquals(made, ids(inbox.take("t", 0, 1, 10)), "given back first, in order");
  }

  @Test
  void beyondItsBoundTheOldestWaitingEventIsDroppedAndCounted() {
    Inbox small = new Inbox(3);
    for (int i = 0; i < 5; i++) {
      small.add("status", "sent", "15551234567", ByteString.EMPTY, "");
    }
    assertEquals(new Inbox.Counts(5, 0, 0, 2, 3), small.counts());
    assertEquals(List.of("ev3", "ev4", "ev5"), ids(small.take("s", 0, 1, 10)));
  }
}
