package io.multiconnect.dataplane.upstream;

import com.google.protobuf.ByteString;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.proto.v1.upstream.AcceptedMessage;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import io.multiconnect.proto.v1.upstream.LiveSession;
import io.multiconnect.proto.v1.upstream.UpstreamEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The upstream simulator's bookkeeping, free of I/O: open sessions, accepted messages, the event
 * log and the ban detector. It models the real server, which knows nothing of epochs: a session is
 * held by one process (a coreapp id and its incarnation, as the real server tells devices apart),
 * and a ban is recorded whenever a session opens for recipients that another process's live session
 * covers (same shard, or overlapping shards across a shard-count change), whatever the epochs. The
 * new session displaces the old one, so the run goes on and every further overlap is counted too. A
 * process opening a session again replaces its own: no ban.
 *
 * <p>Like a real server dropping a client it no longer hears, it closes a session whose holder sent
 * neither a message nor a keepalive for {@code silence}, but lazily: a session stays live until its
 * holder has been silent for {@code silence + dropSlack}, and a keepalive or send arriving in that
 * window extends it. A session due to be dropped is dropped before any other is opened, so the
 * outcome never depends on when the sweep ran.
 *
 * <p>With {@code fencing} (an option, to show the difference, never the default) it is kinder than
 * the real server: an open with an epoch lower than an open overlapping session of another process
 * is refused instead of banned.
 *
 * <p>Memory is bounded by {@code maxEvents}: the event log keeps the newest events, and a resent
 * message is recognized as a duplicate while its {@code message_accepted} event is among them (the
 * client id is forgotten with that event). At 5 000 messages a second the default window, 500 000
 * events, spans well over a minute, far longer than a coreapp retries a message.
 *
 * <p>Thread-safe: every method is synchronized.
 */
final class UpstreamState {

  /** How the simulated server treats sessions. */
  record Rules(Duration silence, Duration dropSlack, boolean fencing) {
    Rules {
      if (silence.isNegative() || dropSlack.isNegative()) {
        throw new IllegalArgumentException("silence and drop slack must not be negative");
      }
    }

    /** The real server's behaviour: no fencing. */
    static Rules realServer(Duration silence, Duration dropSlack) {
      return new Rules(silence, dropSlack, false);
    }

    long dropAfterNanos() {
      return silence.plus(dropSlack).toNanos();
    }
  }

  /** Who holds a session: a coreapp process. */
  record Holder(String coreappId, String incarnation) {
    @Override
    public String toString() {
      return coreappId + "/" + incarnation;
    }
  }

  /** One open session. {@code onDisplaced} tells its holder it was closed by the upstream. */
  record Session(
      String id,
      Holder holder,
      int shard,
      int shardCount,
      long epoch,
      Consumer<String> onDisplaced) {
    boolean overlaps(int otherShard, int otherCount) {
      return Sharding.shareRecipients(shard, shardCount, otherShard, otherCount);
    }
  }

  /** The outcome of opening a session: accepted (with its id), or refused with a reason. */
  sealed interface OpenResult {
    record Accepted(String sessionId) implements OpenResult {}

    record Refused(String reason) implements OpenResult {}
  }

  /** The outcome of a send: accepted (maybe a duplicate), or refused with a reason. */
  sealed interface SendResult {
    record Accepted(String messageId, boolean duplicate) implements SendResult {}

    record Refused(String reason) implements SendResult {}
  }

  private static final String ACCEPTED = "message_accepted";

  private final Clock clock;
  private final LongSupplier nanos;
  private final Rules rules;
  private final Map<String, Session> open = new LinkedHashMap<>();
  private final Map<String, Long> lastHeard = new HashMap<>();

  /** The client ids of the messages whose acceptance is still in {@link #events}. */
  private final Map<String, String> messageIdByClientId = new HashMap<>();

  /** How many of the newest accepted messages are kept whole, for {@link #accepted}. */
  static final int KEPT_MESSAGES = 10_000;

  private final Map<String, AcceptedMessage> kept =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, AcceptedMessage> eldest) {
          return size() > KEPT_MESSAGES;
        }
      };

  private final Deque<UpstreamEvent> events = new ArrayDeque<>();

  /** Events for the business, waiting for a session of their WhatsApp id to take them. */
  private final Inbox inbox;

  private final int maxEvents;
  private long logged;
  private long nextSession = 1;
  private long nextMessage = 1;
  private long accepted;
  private long duplicates;
  private long bans;

  /**
   * @param clock wall time for the event log
   * @param nanos monotonic time: event stamps and the silence timeout
   * @param rules the silence timeout, its slack and whether stale epochs are fenced
   * @param maxEvents how many of the newest log events are kept (older ones are dropped)
   */
  UpstreamState(Clock clock, LongSupplier nanos, Rules rules, int maxEvents) {
    this(clock, nanos, rules, maxEvents, DEFAULT_MAX_PENDING);
  }

  /** How many inbound events wait unacknowledged at most unless told otherwise. */
  static final int DEFAULT_MAX_PENDING = 200_000;

  /**
   * @param maxPending how many inbound events wait unacknowledged at most (the oldest beyond are
   *     dropped and counted)
   */
  UpstreamState(Clock clock, LongSupplier nanos, Rules rules, int maxEvents, int maxPending) {
    this.inbox = new Inbox(maxPending);
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1, got " + maxEvents);
    }
    this.clock = clock;
    this.nanos = nanos;
    this.rules = rules;
    this.maxEvents = maxEvents;
  }

  synchronized OpenResult open(
      Holder holder, int shard, int shardCount, long epoch, Consumer<String> onDisplaced) {
    dropSilent();
    if (shardCount < 1 || shard < 0 || shard >= shardCount) {
      return new OpenResult.Refused("shard " + shard + " of " + shardCount + " does not exist");
    }
    List<Session> overlapping =
        open.values().stream().filter(s -> s.overlaps(shard, shardCount)).toList();
    Optional<Session> newer =
        overlapping.stream()
            .filter(s -> s.epoch() >= epoch && !s.holder().equals(holder))
            .findFirst();
    if (rules.fencing() && newer.isPresent()) {
      log(
          "session_refused",
          holder,
          shard,
          shardCount,
          epoch,
          "stale epoch: " + newer.get().holder() + " holds epoch " + newer.get().epoch());
      return new OpenResult.Refused(
          "stale epoch " + epoch + ": epoch " + newer.get().epoch() + " is open");
    }
    for (Session s : overlapping) {
      if (!s.holder().equals(holder)) {
        bans++;
        log(
            "ban",
            holder,
            shard,
            shardCount,
            epoch,
            "overlaps the live session of "
                + s.holder()
                + " (shard "
                + s.shard()
                + "/"
                + s.shardCount()
                + ", epoch "
                + s.epoch()
                + ")");
      }
      close(s.id(), "displaced by " + holder + " at epoch " + epoch);
      s.onDisplaced().accept("displaced by " + holder + " at epoch " + epoch);
    }
    String id = "s" + nextSession++;
    open.put(id, new Session(id, holder, shard, shardCount, epoch, onDisplaced));
    lastHeard.put(id, nanos.getAsLong());
    log("session_opened", holder, shard, shardCount, epoch, id);
    return new OpenResult.Accepted(id);
  }

  /** Closes a session; false if it was not open (any more). */
  /** The coreapp holding an open session, if it is open. */
  synchronized Optional<String> holderOf(String sessionId) {
    return Optional.ofNullable(open.get(sessionId)).map(s -> s.holder().coreappId());
  }

  synchronized boolean close(String sessionId, String reason) {
    Session s = open.remove(sessionId);
    lastHeard.remove(sessionId);
    inbox.sessionClosed(sessionId);
    if (s != null) {
      log("session_closed", s.holder(), s.shard(), s.shardCount(), s.epoch(), reason);
    }
    return s != null;
  }

  /** The holder of this session at this epoch is still there; false if no such session is open. */
  synchronized boolean keepAlive(String sessionId, long epoch) {
    dropIfSilent(sessionId);
    Session s = open.get(sessionId);
    if (s == null || s.epoch() != epoch) {
      return false;
    }
    lastHeard.put(sessionId, nanos.getAsLong());
    return true;
  }

  /**
   * Which of {@code waIds} are WhatsApp users ({@link WebhookItems#onWhatsApp}), asked on this
   * session at this epoch, which the question keeps alive; empty when no such session is open, or
   * an id is not in its shard (the reason).
   */
  synchronized ContactsResult contacts(String sessionId, long epoch, List<String> waIds) {
    dropIfSilent(sessionId);
    Session s = open.get(sessionId);
    if (s == null || s.epoch() != epoch) {
      return new ContactsResult.Refused("no open session " + sessionId + " at epoch " + epoch);
    }
    for (String id : waIds) {
      if (Sharding.shardOf(id, s.shardCount()) != s.shard()) {
        return new ContactsResult.Refused("WhatsApp id " + id + " is not in shard " + s.shard());
      }
    }
    lastHeard.put(sessionId, nanos.getAsLong());
    return new ContactsResult.Answered(waIds.stream().map(WebhookItems::onWhatsApp).toList());
  }

  /** What a contacts check comes to. */
  sealed interface ContactsResult {
    record Answered(List<Boolean> onWhatsApp) implements ContactsResult {}

    record Refused(String reason) implements ContactsResult {}
  }

  /** Closes every session whose holder has been silent for longer than the timeout and slack. */
  synchronized void dropSilent() {
    for (String id : List.copyOf(open.keySet())) {
      dropIfSilent(id);
    }
  }

  /** Closes this session if its holder has been silent for longer than the timeout and slack. */
  private void dropIfSilent(String sessionId) {
    Session s = open.get(sessionId);
    long silent = s == null ? 0 : nanos.getAsLong() - lastHeard.get(sessionId);
    if (silent > rules.dropAfterNanos()) {
      String reason = "holder silent for " + silent / 1_000_000 + " ms";
      close(sessionId, reason);
      s.onDisplaced().accept(reason);
    }
  }

  /** A message as a coreapp hands it to the upstream. */
  record Outgoing(String clientMessageId, String to, String type, ByteString payload) {}

  /** Sends {@code m}; its payload is checked first, outside the lock every send takes. */
  SendResult send(String sessionId, long epoch, Outgoing m) {
    return send(sessionId, epoch, m, Payloads.mismatch(m.to(), m.type(), m.payload()));
  }

  private synchronized SendResult send(
      String sessionId, long epoch, Outgoing m, Optional<String> malformed) {
    String clientMessageId = m.clientMessageId();
    String to = m.to();
    dropIfSilent(sessionId);
    Session s = open.get(sessionId);
    if (s == null || s.epoch() != epoch) {
      log(
          "message_refused",
          s == null ? new Holder("", "") : s.holder(),
          s == null ? 0 : s.shard(),
          s == null ? 0 : s.shardCount(),
          epoch,
          "no open session " + sessionId + " at epoch " + epoch);
      return new SendResult.Refused("no open session " + sessionId + " at epoch " + epoch);
    }
    if (Sharding.shardOf(to, s.shardCount()) != s.shard()) {
      log(
          "message_refused",
          s.holder(),
          s.shard(),
          s.shardCount(),
          epoch,
          "recipient " + to + " is not in this shard");
      return new SendResult.Refused("recipient " + to + " is not in shard " + s.shard());
    }
    if (malformed.isPresent()) {
      log("message_refused", s.holder(), s.shard(), s.shardCount(), epoch, malformed.get());
      return new SendResult.Refused(malformed.get());
    }
    lastHeard.put(sessionId, nanos.getAsLong());
    String existing = messageIdByClientId.get(clientMessageId);
    if (existing != null) {
      log(
          "message_duplicate",
          s.holder(),
          s.shard(),
          s.shardCount(),
          epoch,
          clientMessageId + " -> " + existing + " to " + to,
          clientMessageId);
      duplicates++;
      return new SendResult.Accepted(existing, true);
    }
    String id = "wamid.sim" + nextMessage++;
    messageIdByClientId.put(clientMessageId, id);
    kept.put(
        id,
        AcceptedMessage.newBuilder()
            .setMessageId(id)
            .setClientMessageId(clientMessageId)
            .setTo(to)
            .setType(m.type())
            .setPayload(m.payload())
            .setCoreappId(s.holder().coreappId())
            .setShard(s.shard())
            .setShardCount(s.shardCount())
            .setEpoch(epoch)
            .build());
    accepted++;
    if (WebhookItems.undeliverable(to)) {
      status(id, to, "failed");
    } else {
      status(id, to, "sent");
      long now = nanos.getAsLong();
      delivered.addLast(new Later(now + DELIVERED_AFTER.toNanos(), id, to, "delivered"));
      read.addLast(new Later(now + READ_AFTER.toNanos(), id, to, "read"));
    }
    log(
        ACCEPTED,
        s.holder(),
        s.shard(),
        s.shardCount(),
        epoch,
        clientMessageId + " -> " + id + " to " + to,
        clientMessageId);
    return new SendResult.Accepted(id, false);
  }

  /** A status of message {@code id} to {@code to}, now, for the session that covers {@code to}. */
  private void status(String id, String to, String status) {
    inbox.add("status", status, to, WebhookItems.status(id, to, status, clock.millis() / 1000), "");
  }

  Inbox inbox() {
    return inbox;
  }

  /** When the simulated recipient's phone got an accepted message, and when its user read it. */
  static final Duration DELIVERED_AFTER = Duration.ofMillis(100);

  static final Duration READ_AFTER = Duration.ofMillis(300);

  private record Later(long dueNanos, String messageId, String to, String status) {}

  /** Statuses to come, in the order they fall due (one delay per queue). */
  private final Deque<Later> delivered = new ArrayDeque<>();

  private final Deque<Later> read = new ArrayDeque<>();

  /** Statuses owed for accepted messages that are not due yet (not in the inbox). */
  synchronized int scheduledStatuses() {
    return delivered.size() + read.size();
  }

  /** Hands the statuses that fell due to the inbox; whether there were any. */
  synchronized boolean releaseDueStatuses() {
    long now = nanos.getAsLong();
    boolean any = false;
    for (Deque<Later> q : List.of(delivered, read)) {
      while (!q.isEmpty() && now - q.peekFirst().dueNanos() >= 0) {
        Later l = q.removeFirst();
        status(l.messageId(), l.to(), l.status());
        any = true;
      }
    }
    return any;
  }

  /**
   * Up to {@code max} waiting events for the recipients of open session {@code sessionId}, now in
   * flight on it; none once it is closed (so nothing is ever in flight on a closed session).
   */
  synchronized List<InboundEvent> take(String sessionId, int max) {
    Session s = open.get(sessionId);
    return s == null ? List.of() : inbox.take(sessionId, s.shard(), s.shardCount(), max);
  }

  /** An inbound message made: its event, and its id as the webhook shows it. */
  record Injected(InboundEvent event, String messageId) {}

  /** Inbound messages from {@code from}, as a person would write them. */
  synchronized List<Injected> inject(String from, String text, int count, String name) {
    List<Injected> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String id = "wamid.in" + nextInbound++;
      out.add(
          new Injected(
              inbox.add(
                  "message",
                  "",
                  from,
                  WebhookItems.text(id, from, text, clock.millis() / 1000),
                  name),
              id));
    }
    return out;
  }

  private long nextInbound = 1;

  /** The open session {@code sessionId}. */
  synchronized Optional<Session> session(String sessionId) {
    return Optional.ofNullable(open.get(sessionId));
  }

  /** The open sessions whose recipients include {@code waId}. */
  synchronized List<Session> sessionsCovering(String waId) {
    return open.values().stream()
        .filter(s -> Sharding.shardOf(waId, s.shardCount()) == s.shard())
        .toList();
  }

  /** A message accepted lately ({@link #KEPT_MESSAGES} at most), by the id the upstream gave it. */
  synchronized Optional<AcceptedMessage> accepted(String messageId) {
    return Optional.ofNullable(kept.get(messageId));
  }

  synchronized long bans() {
    return bans;
  }

  synchronized long duplicates() {
    return duplicates;
  }

  Rules rules() {
    return rules;
  }

  /** The sessions live now (after dropping the ones due), oldest first. */
  synchronized List<LiveSession> liveSessions() {
    dropSilent();
    long now = nanos.getAsLong();
    return open.values().stream()
        .map(
            s ->
                LiveSession.newBuilder()
                    .setSessionId(s.id())
                    .setCoreappId(s.holder().coreappId())
                    .setIncarnation(s.holder().incarnation())
                    .setShard(s.shard())
                    .setShardCount(s.shardCount())
                    .setEpoch(s.epoch())
                    .setSilentMs((now - lastHeard.get(s.id())) / 1_000_000)
                    .build())
        .toList();
  }

  /** Messages accepted, resends not counted (nor, past the window, recognized). */
  synchronized long acceptedMessages() {
    return accepted;
  }

  /**
   * Up to {@code limit} log events after {@code sequence}, oldest first; {@code more} when others
   * follow them, and the sequence of the oldest event still kept ({@code firstSequence} > 1: the
   * ones before it were dropped).
   */
  record Page(List<UpstreamEvent> events, boolean more, long firstSequence) {}

  synchronized Page eventsAfter(long sequence, int limit) {
    long first = logged - events.size() + 1;
    long skip = Math.max(0, sequence + 1 - first);
    List<UpstreamEvent> page = events.stream().skip(skip).limit(Math.max(0, limit)).toList();
    return new Page(page, skip + page.size() < events.size(), first);
  }

  private void log(
      String kind, Holder holder, int shard, int shardCount, long epoch, String detail) {
    log(kind, holder, shard, shardCount, epoch, detail, "");
  }

  private void log(
      String kind,
      Holder holder,
      int shard,
      int shardCount,
      long epoch,
      String detail,
      String messageId) {
    if (events.size() == maxEvents) {
      UpstreamEvent dropped = events.removeFirst();
      if (dropped.getKind().equals(ACCEPTED)) {
        messageIdByClientId.remove(dropped.getMessageId());
      }
    }
    events.addLast(
        UpstreamEvent.newBuilder()
            .setMessageId(messageId)
            .setSequence(++logged)
            .setAtUnixMs(clock.millis())
            .setAtMonotonicNanos(nanos.getAsLong())
            .setKind(kind)
            .setCoreappId(holder.coreappId())
            .setIncarnation(holder.incarnation())
            .setShard(shard)
            .setShardCount(shardCount)
            .setEpoch(epoch)
            .setDetail(detail)
            .build());
  }
}
