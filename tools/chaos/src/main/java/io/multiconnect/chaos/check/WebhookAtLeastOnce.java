package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import io.multiconnect.dataplane.upstream.UpstreamSimulator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every event the upstream owed the business reached the webhook at least once: each inbound
 * message it made ({@code inbound}), and for each message it accepted ({@code accepted}, value the
 * recipient) its {@code sent}, {@code delivered} and {@code read} statuses, or one {@code failed}
 * for a recipient the simulated network cannot reach. Duplicates are allowed and counted ({@link
 * #duplicates}). Only meaningful for runs whose webhook was set ({@code webhook} events exist).
 */
public final class WebhookAtLeastOnce implements Checker {
  private static final int SHOWN = 20;

  @Override
  public CheckResult check(History history) {
    Set<String> owed = owed(history);
    Map<String, Integer> received = received(history);
    List<String> violations = new ArrayList<>();
    long missing = 0;
    for (String key : owed) {
      if (!received.containsKey(key)) {
        if (++missing <= SHOWN) {
          violations.add("never reached the webhook: " + key);
        }
      }
    }
    if (missing > SHOWN) {
      violations.add("... " + (missing - SHOWN) + " more events never reached the webhook");
    }
    return new CheckResult("webhook-at-least-once", violations, owed.size());
  }

  /** Events the webhook received more than once, counted once per extra copy. */
  public static long duplicates(History history) {
    return received(history).values().stream().mapToLong(n -> n - 1).sum();
  }

  private static Set<String> owed(History history) {
    Set<String> owed = new LinkedHashSet<>();
    for (Event e : history.select("inbound")) {
      owed.add("msg:" + e.key());
    }
    for (Event e : history.select("accepted")) {
      if (UpstreamSimulator.undeliverable(e.value())) {
        owed.add("status:" + e.key() + "/failed");
      } else {
        for (String s : new String[] {"sent", "delivered", "read"}) {
          owed.add("status:" + e.key() + "/" + s);
        }
      }
    }
    return owed;
  }

  private static Map<String, Integer> received(History history) {
    Map<String, Integer> n = new HashMap<>();
    history.select("webhook").forEach(e -> n.merge(e.key(), 1, Integer::sum));
    return n;
  }
}
