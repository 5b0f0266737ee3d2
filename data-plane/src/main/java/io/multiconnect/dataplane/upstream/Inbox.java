package io.multiconnect.dataplane.upstream;

import com.google.protobuf.ByteString;
import io.multiconnect.common.shard.ShardCounts;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The simulated server's events for the business, free of I/O: inbound messages and statuses wait
 * here until the holder of a session covering their WhatsApp id acknowledges them (its webhook took
 * them). An event is in flight on at most one session at a time; when that session closes without
 * acknowledging it, it waits again and goes to the next session that covers it: at least once,
 * across failovers, moves and shard-count changes. Waiting events are kept per bucket of the
 * largest shard count, so a session of any count finds its own without scanning the others.
 *
 * <p>Memory is bounded: beyond {@code maxPending} events the oldest waiting one is dropped and
 * counted (a business whose webhook never answers would otherwise fill the simulator).
 *
 * <p>Thread-safe: every method is synchronized.
 */
final class Inbox {
  private static final int BUCKETS = ShardCounts.MAX;

  private record Pending(InboundEvent event, int bucket) {}

  private final List<Deque<Pending>> waiting = new ArrayList<>(BUCKETS);
  private final Map<String, Pending> inFlight = new HashMap<>();
  private final Map<String, List<String>> inFlightBySession = new HashMap<>();
  private final Map<String, Integer> deliveries = new HashMap<>();
  private final int maxPending;
  private long next = 1;
  private long generated;
  private long acknowledged;
  private long redelivered;
  private long dropped;
  private int waitingCount;

  Inbox(int maxPending) {
    if (maxPending < 1) {
      throw new IllegalArgumentException("maxPending must be at least 1, got " + maxPending);
    }
    this.maxPending = maxPending;
    for (int i = 0; i < BUCKETS; i++) {
      waiting.add(new ArrayDeque<>());
    }
  }

  /**
   * A new event for {@code waId}, of {@code kind} ({@code message} or {@code status}, then with its
   * {@code status}); waits for a session that covers it.
   */
  synchronized InboundEvent add(
      String kind, String status, String waId, ByteString item, String profileName) {
    InboundEvent e =
        InboundEvent.newBuilder()
            .setEventId("ev" + next++)
            .setWaId(waId)
            .setKind(kind)
            .setStatus(status)
            .setItem(item)
            .setProfileName(profileName)
            .build();
    int bucket = Sharding.shardOf(waId, BUCKETS);
    waiting.get(bucket).addLast(new Pending(e, bucket));
    waitingCount++;
    generated++;
    if (waitingCount + inFlight.size() > maxPending) {
      dropOldest();
    }
    return e;
  }

  private void dropOldest() {
    Deque<Pending> longest = waiting.get(0);
    for (Deque<Pending> q : waiting) {
      longest = q.size() > longest.size() ? q : longest;
    }
    if (!longest.isEmpty()) {
      deliveries.remove(longest.removeFirst().event().getEventId());
      waitingCount--;
      dropped++;
    }
  }

  /**
   * Up to {@code max} waiting events of shard {@code shard} of {@code shardCount}, now in flight on
   * {@code sessionId}.
   */
  synchronized List<InboundEvent> take(String sessionId, int shard, int shardCount, int max) {
    List<InboundEvent> out = new ArrayList<>();
    List<String> flying = inFlightBySession.computeIfAbsent(sessionId, k -> new ArrayList<>());
    for (int b = shard; b < BUCKETS && out.size() < max; b += shardCount) {
      Iterator<Pending> it = waiting.get(b).iterator();
      while (it.hasNext() && out.size() < max) {
        Pending p = it.next();
        it.remove();
        waitingCount--;
        int before = deliveries.merge(p.event().getEventId(), 1, Integer::sum) - 1;
        InboundEvent e = p.event().toBuilder().setRedeliveries(before).build();
        redelivered += before > 0 ? 1 : 0;
        inFlight.put(e.getEventId(), p);
        flying.add(e.getEventId());
        out.add(e);
      }
    }
    return out;
  }

  /** How many events are in flight on {@code sessionId}. */
  synchronized int inFlightOn(String sessionId) {
    return inFlightBySession.getOrDefault(sessionId, List.of()).size();
  }

  /** The holder of {@code sessionId} handled these events; the number forgotten now. */
  synchronized int acknowledge(String sessionId, List<String> eventIds) {
    List<String> flying = inFlightBySession.getOrDefault(sessionId, new ArrayList<>());
    int forgotten = 0;
    for (String id : eventIds) {
      if (flying.remove(id) && inFlight.remove(id) != null) {
        deliveries.remove(id);
        forgotten++;
      }
    }
    acknowledged += forgotten;
    return forgotten;
  }

  /** {@code sessionId} closed: what it had in flight and did not acknowledge waits again. */
  synchronized void sessionClosed(String sessionId) {
    List<String> flying = inFlightBySession.remove(sessionId);
    if (flying == null) {
      return;
    }
    for (int i = flying.size() - 1; i >= 0; i--) {
      Pending p = inFlight.remove(flying.get(i));
      if (p != null) {
        waiting.get(p.bucket()).addFirst(p); // first again, in the order they were given
        waitingCount++;
      }
    }
  }

  record Counts(long generated, long acknowledged, long redelivered, long dropped, long pending) {}

  synchronized Counts counts() {
    return new Counts(
        generated, acknowledged, redelivered, dropped, waitingCount + inFlight.size());
  }
}
