package io.multiconnect.master.raft;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a follower the leader's replication has given up on without saying so: it answers the
 * leader, yet its match index stays behind the commit index and does not move. Ratis 3.3.0 can get
 * there at a new cluster's first election (RATIS-2605): a heartbeat from a leader whose log was
 * still empty lets a follower holding an uncommitted entry of an earlier term report that entry as
 * matched, and from then on every "inconsistent" answer of that follower is clamped to the wrong
 * index. The follower never catches up until another leader starts its replication afresh, which is
 * what the caller does with {@link #handOverTo}: leadership goes to a follower that is up to date.
 * Pure: the caller passes the time and what Ratis reports.
 *
 * <p>A follower that is down or cut off does not answer, so it is never counted as stalled; a slow
 * one moves its match index, however slowly.
 */
public final class StalledFollowers {
  /** What the leader knows of one follower. */
  public record Follower(String id, long matchIndex, long lastRpcElapsedMs) {}

  private record Seen(long matchIndex, long sinceNanos) {}

  private final long stallNanos;
  private final long answersWithinMs;
  private final Map<String, Seen> seen = new HashMap<>();

  /**
   * @param stall how long a follower's match index may stay behind the commit index, unmoved
   * @param answersWithin a follower whose last answer is older than this does not count
   */
  public StalledFollowers(Duration stall, Duration answersWithin) {
    this.stallNanos = stall.toNanos();
    this.answersWithinMs = answersWithin.toMillis();
  }

  /** One look at the leader's followers; returns the ids of those stalled. */
  public List<String> observe(long nowNanos, long commitIndex, List<Follower> followers) {
    seen.keySet().retainAll(followers.stream().map(Follower::id).toList());
    return followers.stream()
        .filter(
            f -> {
              Seen before = seen.get(f.id());
              if (before == null || before.matchIndex() != f.matchIndex()) {
                seen.put(f.id(), new Seen(f.matchIndex(), nowNanos));
                return false;
              }
              return f.matchIndex() < commitIndex
                  && f.lastRpcElapsedMs() <= answersWithinMs
                  && nowNanos - before.sinceNanos() >= stallNanos;
            })
        .map(Follower::id)
        .toList();
  }

  /**
   * The follower to hand leadership to when {@code stalled} are stuck: one that answers, is not
   * stalled and has matched the commit index (so Ratis can transfer at once), the furthest first.
   */
  public Optional<String> handOverTo(
      long commitIndex, List<Follower> followers, List<String> stalled) {
    return followers.stream()
        .filter(f -> !stalled.contains(f.id()))
        .filter(f -> f.matchIndex() >= commitIndex && f.lastRpcElapsedMs() <= answersWithinMs)
        .max(Comparator.comparingLong(Follower::matchIndex))
        .map(Follower::id);
  }

  /** Forgets what was seen: a new leadership starts its followers' replication afresh. */
  public void reset() {
    seen.clear();
  }
}
