package io.multiconnect.dataplane.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.shard.Sharding;
import io.multiconnect.dataplane.TextMessage;
import io.multiconnect.proto.v1.upstream.AcceptedMessage;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UpstreamStateTest {
  private static final long MS = 1_000_000;
  private final AtomicLong nanos = new AtomicLong();
  private static final UpstreamState.Rules NO_SLACK =
      UpstreamState.Rules.realServer(Duration.ofMillis(400), Duration.ZERO);
  private UpstreamState state = new UpstreamState(Clock.systemUTC(), nanos::get, NO_SLACK, 1000);
  private final List<String> displaced = new ArrayList<>();

  /** Opens a session for the first process of {@code coreapp}. */
  private UpstreamState.OpenResult open(String coreapp, int shard, int count, long epoch) {
    return open(process(coreapp), shard, count, epoch);
  }

  private UpstreamState.OpenResult open(
      UpstreamState.Holder holder, int shard, int count, long epoch) {
    return state.open(
        holder, shard, count, epoch, reason -> displaced.add(holder.coreappId() + ": " + reason));
  }

  private static UpstreamState.Holder process(String coreapp) {
    return new UpstreamState.Holder(coreapp, coreapp + "-1");
  }

  private static String id(UpstreamState.OpenResult r) {
    return assertInstanceOf(UpstreamState.OpenResult.Accepted.class, r).sessionId();
  }

  private static String recipientIn(int shard, int count) {
    for (long i = 0; ; i++) {
      String r = Long.toString(15550000000L + i);
      if (Sharding.shardOf(r, count) == shard) {
        return r;
      }
    }
  }

  @Test
  void aHandoverAfterTheOldSessionClosedIsNoBan() {
    String a = id(open("a", 0, 1, 1));
    state.close(a, "lease lapsed");
    id(open("b", 0, 1, 2));
    assertEquals(0, state.bans());
  }

  @Test
  void aSessionWhoseHolderFellSilentIsDroppedBeforeAnotherOpens() {
    id(open("a", 0, 1, 1));
    nanos.addAndGet(401 * MS); // "a" was cut off: no close, no keepalive
    id(open("b", 0, 1, 2));
    assertEquals(0, state.bans());
    assertEquals(List.of("a: holder silent for 401 ms"), displaced);
  }

  @Test
  void keepalivesAndMessagesKeepASessionOpen() {
    String a = id(open("a", 0, 1, 1));
    nanos.addAndGet(300 * MS);
    assertTrue(state.keepAlive(a, 1));
    nanos.addAndGet(300 * MS);
    state.send(a, 1, text("m1", recipientIn(0, 1)));
    nanos.addAndGet(300 * MS);
    state.dropSilent();
    assertTrue(displaced.isEmpty());
    assertFalse(state.keepAlive(a, 2), "another epoch's keepalive");
    nanos.addAndGet(101 * MS);
    state.dropSilent();
    assertEquals(List.of("a: holder silent for 401 ms"), displaced);
    assertFalse(state.keepAlive(a, 1), "a dropped session stays closed");
  }

  @Test
  void anAcknowledgementIsNotHeardAsTheHolderBeingThere() {
    String a = id(open("a", 0, 1, 1));
    nanos.addAndGet(300 * MS);
    state.inbox().acknowledge(a, List.of("ev1"));
    nanos.addAndGet(101 * MS);
    state.dropSilent();
    assertEquals(List.of("a: holder silent for 401 ms"), displaced);
  }

  @Test
  void anExplicitCloseIsConfirmedOnce() {
    String a = id(open("a", 0, 1, 1));
    assertTrue(state.close(a, "closed by its holder"));
    assertFalse(state.close(a, "again"));
  }

  @Test
  void twoHoldersAtOnceIsABanAndTheNewSessionDisplacesTheOld() {
    id(open("a", 0, 1, 1));
    id(open("b", 0, 1, 2));
    assertEquals(1, state.bans());
    assertEquals(List.of("a: displaced by b/b-1 at epoch 2"), displaced);
  }

  @Test
  void theRealServerKnowsNoEpochs() {
    id(open("b", 0, 1, 5));
    id(open("a", 0, 1, 4)); // a stale epoch: banned all the same
    assertEquals(1, state.bans());

    state =
        new UpstreamState(
            Clock.systemUTC(),
            nanos::get,
            new UpstreamState.Rules(Duration.ofMillis(400), Duration.ZERO, true),
            1000);
    id(open("b", 0, 1, 5));
    assertInstanceOf(UpstreamState.OpenResult.Refused.class, open("a", 0, 1, 4));
    assertEquals(0, state.bans(), "only a fencing simulator refuses it instead");
  }

  @Test
  void twoProcessesOfOneCoreappAreTwoHolders() {
    id(open(new UpstreamState.Holder("a", "a-1"), 0, 1, 1));
    id(open(new UpstreamState.Holder("a", "a-1"), 0, 1, 1)); // the same process reconnects
    assertEquals(0, state.bans());
    id(open(new UpstreamState.Holder("a", "a-2"), 0, 1, 1)); // a second process, same epoch
    assertEquals(1, state.bans());
    assertTrue(
        state.eventsAfter(0, 100).events().stream()
            .anyMatch(e -> e.getKind().equals("ban") && e.getIncarnation().equals("a-2")));
  }

  @Test
  void aSilentSessionStaysLiveUntilTheLazyDropAndAKeepaliveInThatWindowExtendsIt() {
    state =
        new UpstreamState(
            Clock.systemUTC(),
            nanos::get,
            UpstreamState.Rules.realServer(Duration.ofMillis(400), Duration.ofMillis(100)),
            1000);
    String a = id(open("a", 0, 1, 1));
    nanos.addAndGet(450 * MS); // past the timeout, not yet dropped
    assertTrue(state.keepAlive(a, 1), "a late keepalive revives the session");
    nanos.addAndGet(450 * MS);
    id(open("b", 0, 1, 2));
    assertEquals(1, state.bans(), "a was still live");
    nanos.addAndGet(501 * MS); // b silent past timeout and slack
    id(open("c", 0, 1, 3));
    assertEquals(1, state.bans(), "b was dropped first");
  }

  @Test
  void overlapAcrossAShardCountChangeIsABan() {
    id(open("a", 1, 2, 3)); // shard 1 of 2 covers shards 1 and 3 of 4
    id(open("b", 0, 4, 4)); // no overlap
    assertEquals(0, state.bans());
    id(open("c", 3, 4, 5)); // overlaps a's shard 1 of 2
    assertEquals(1, state.bans());
  }

  @Test
  void messagesAreCheckedAgainstTheSessionAndDeDuplicated() {
    String s = id(open("a", 1, 2, 7));
    String to = recipientIn(1, 2);
    var first =
        assertInstanceOf(UpstreamState.SendResult.Accepted.class, state.send(s, 7, text("m1", to)));
    var again =
        assertInstanceOf(UpstreamState.SendResult.Accepted.class, state.send(s, 7, text("m1", to)));
    assertEquals(first.messageId(), again.messageId());
    assertTrue(again.duplicate());
    assertEquals(1, state.acceptedMessages());
    assertInstanceOf(UpstreamState.SendResult.Refused.class, state.send(s, 6, text("m2", to)));
    assertInstanceOf(
        UpstreamState.SendResult.Refused.class, state.send(s, 7, text("m3", recipientIn(0, 2))));
    List<String> kinds = state.eventsAfter(0, 100).events().stream().map(e -> e.getKind()).toList();
    assertEquals(
        List.of(
            "session_opened",
            "message_accepted",
            "message_duplicate",
            "message_refused",
            "message_refused"),
        kinds);
  }

  @Test
  void contactsAreAnsweredByTheRuleOnALiveSessionOfTheirShardAndKeepItAlive() {
    String s = id(open("a", 1, 2, 7));
    String user = recipientIn(1, 2);
    String none = null;
    for (long i = 0; none == null; i++) {
      String r = "1555000" + i + "98";
      none = Sharding.shardOf(r, 2) == 1 ? r : null;
    }
    nanos.addAndGet(300 * MS);
    var answered =
        assertInstanceOf(
            UpstreamState.ContactsResult.Answered.class,
            state.contacts(s, 7, List.of(user, none, user)));
    assertEquals(List.of(true, false, true), answered.onWhatsApp());
    nanos.addAndGet(300 * MS);
    state.dropSilent();
    assertTrue(displaced.isEmpty(), "a check is heard from the holder");
    assertInstanceOf(
        UpstreamState.ContactsResult.Refused.class,
        state.contacts(s, 6, List.of(user)),
        "another epoch");
    assertInstanceOf(
        UpstreamState.ContactsResult.Refused.class,
        state.contacts(s, 7, List.of(user, recipientIn(0, 2))),
        "an id of another shard");
    nanos.addAndGet(401 * MS);
    assertInstanceOf(
        UpstreamState.ContactsResult.Refused.class,
        state.contacts(s, 7, List.of(user)),
        "a dropped session");
  }

  @Test
  void theLogKeepsTheNewestEventsAndIsReadInPages() {
    UpstreamState small = new UpstreamState(Clock.systemUTC(), nanos::get, NO_SLACK, 3);
    String s = id(small.open(process("a"), 0, 1, 1, reason -> {}));
    for (int i = 1; i <= 4; i++) {
      small.send(s, 1, text("m" + i, recipientIn(0, 1)));
    }
    // 5 events logged (the session, 4 messages); the newest 3 are kept.
    UpstreamState.Page all = small.eventsAfter(0, 10);
    assertEquals(List.of(3L, 4L, 5L), sequences(all));
    assertEquals(3, all.firstSequence());
    assertFalse(all.more());

    UpstreamState.Page first = small.eventsAfter(0, 2);
    assertEquals(List.of(3L, 4L), sequences(first));
    assertTrue(first.more());
    UpstreamState.Page second = small.eventsAfter(4, 2);
    assertEquals(List.of(5L), sequences(second));
    assertFalse(second.more());
    assertEquals(List.of(), sequences(small.eventsAfter(5, 2)));
    assertFalse(small.eventsAfter(5, 2).more());
  }

  @Test
  void aResendIsRecognizedWhileItsAcceptanceIsInTheLog() {
    UpstreamState small = new UpstreamState(Clock.systemUTC(), nanos::get, NO_SLACK, 3);
    String s = id(small.open(process("a"), 0, 1, 1, reason -> {}));
    String to = recipientIn(0, 1);
    String m1 = accepted(small.send(s, 1, text("m1", to))).messageId();
    small.send(s, 1, text("m2", to));
    small.send(s, 1, text("m3", to)); // the log: m1, m2, m3 accepted
    assertTrue(accepted(small.send(s, 1, text("m1", to))).duplicate()); // drops m1's acceptance
    var late = accepted(small.send(s, 1, text("m1", to)));
    assertFalse(late.duplicate()); // forgotten with its event: memory stays bounded
    assertFalse(late.messageId().equals(m1));
    assertTrue(accepted(small.send(s, 1, text("m3", to))).duplicate());
    assertEquals(4, small.acceptedMessages());
  }

  private static UpstreamState.SendResult.Accepted accepted(UpstreamState.SendResult r) {
    return assertInstanceOf(UpstreamState.SendResult.Accepted.class, r);
  }

  private static List<Long> sequences(UpstreamState.Page page) {
    return page.events().stream().map(e -> e.getSequence()).toList();
  }

  /** A text message as a coreapp hands it on. */
  private static UpstreamState.Outgoing text(String clientId, String to) {
    return new UpstreamState.Outgoing(
        clientId, to, TextMessage.TYPE, TextMessage.payload(to, "hello"));
  }

  @Test
  void aMessageIsKeptAsItArrivedAndOneMangledOnTheWayIsRefused() {
    String s = id(open("a", 0, 1, 1));
    String to = recipientIn(0, 1);
    var sent =
        assertInstanceOf(UpstreamState.SendResult.Accepted.class, state.send(s, 1, text("m1", to)));
    AcceptedMessage kept = state.accepted(sent.messageId()).orElseThrow();
    assertEquals(TextMessage.payload(to, "hello"), kept.getPayload());
    assertEquals("text", kept.getType());
    assertEquals("a", kept.getCoreappId());

    var otherType = new UpstreamState.Outgoing("m2", to, "image", TextMessage.payload(to, "hello"));
    var otherRecipient =
        new UpstreamState.Outgoing(
            "m3", to, TextMessage.TYPE, TextMessage.payload(to + "9", "hello"));
    var cut =
        new UpstreamState.Outgoing(
            "m4", to, TextMessage.TYPE, TextMessage.payload(to, "hello").substring(0, 20));
    for (var m : List.of(otherType, otherRecipient, cut)) {
      assertInstanceOf(UpstreamState.SendResult.Refused.class, state.send(s, 1, m));
    }
    assertEquals(1, state.acceptedMessages());
    assertTrue(state.accepted("wamid.unknown").isEmpty());
  }
}
