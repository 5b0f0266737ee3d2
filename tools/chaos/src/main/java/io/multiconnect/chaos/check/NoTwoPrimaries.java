package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import io.multiconnect.common.shard.Sharding;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * No two coreapp processes act for the same recipients at once (two processes with one coreapp id
 * are two, told apart by their incarnation): neither their self-reported lease intervals nor the
 * sessions the upstream saw may overlap in time for shards that share recipients (shard counts are
 * powers of two, so shard {@code a} of {@code n} and {@code b} of {@code m} share recipients
 * exactly when they agree modulo {@code min(n, m)}), and the upstream never banned the account.
 */
public final class NoTwoPrimaries implements Checker {

  @Override
  public CheckResult check(History history) {
    List<Event> intervals = new ArrayList<>(history.select("lease"));
    intervals.addAll(history.select("session"));
    intervals.sort(Comparator.comparingLong(Event::time));
    List<String> violations = new ArrayList<>();
    List<Event> open = new ArrayList<>();
    for (Event e : intervals) {
      open.removeIf(o -> o.until() <= e.time());
      for (Event o : open) {
        if (!o.process().equals(e.process()) && sharesRecipients(o, e)) {
          violations.add(
              String.format(
                  "%s %s shard %d/%d epoch %d [%d, %d] overlaps %s %s shard %d/%d epoch %d [%d, %d]",
                  o.op(),
                  o.process(),
                  o.shard(),
                  o.shardCount(),
                  o.epoch(),
                  o.time(),
                  o.until(),
                  e.op(),
                  e.process(),
                  e.shard(),
                  e.shardCount(),
                  e.epoch(),
                  e.time(),
                  e.until()));
        }
      }
      open.add(e);
    }
    // The upstream bans the account when a session opens while another coreapp's overlapping
    // session is still open: the original's failure, seen from the other side.
    history
        .select("ban")
        .forEach(
            b -> violations.add("the upstream banned the account: " + b.node() + " " + b.value()));
    return new CheckResult("no-two-primaries", violations, intervals.size());
  }

  static boolean sharesRecipients(Event a, Event b) {
    return Sharding.shareRecipients(a.shard(), a.shardCount(), b.shard(), b.shardCount());
  }
}
