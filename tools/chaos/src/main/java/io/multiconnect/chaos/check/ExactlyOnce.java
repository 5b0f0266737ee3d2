package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every acknowledged message reached the upstream exactly once; a failed one never; one with an
 * unknown outcome at most once; and the upstream received nothing no client sent. Attempts with the
 * same id count as one message: acknowledged if any attempt was.
 */
public final class ExactlyOnce implements Checker {

  @Override
  public CheckResult check(History history) {
    // A message may be sent several times with one id (a client retrying an unknown outcome):
    // acknowledged if any attempt was, unknown if any attempt was, failed only if all were.
    Map<String, Event.Type> outcome = new HashMap<>();
    Map<String, Boolean> open = new HashMap<>(); // an attempt invoked and not yet answered
    for (Event e : history.select("send")) {
      if (e.type() == Event.Type.INVOKE) {
        if (open.getOrDefault(e.key(), false)) {
          outcome.merge(e.key(), Event.Type.INFO, ExactlyOnce::stronger);
        }
        open.put(e.key(), true);
        outcome.putIfAbsent(e.key(), Event.Type.FAIL);
      } else {
        open.put(e.key(), false);
        outcome.merge(e.key(), e.type(), ExactlyOnce::stronger);
      }
    }
    open.forEach(
        (id, unanswered) -> {
          if (unanswered) {
            outcome.merge(id, Event.Type.INFO, ExactlyOnce::stronger);
          }
        });
    Map<String, Integer> delivered = new HashMap<>();
    history.select("delivered").forEach(e -> delivered.merge(e.key(), 1, Integer::sum));
    List<String> violations = new ArrayList<>();
    outcome.forEach(
        (id, type) -> {
          int n = delivered.getOrDefault(id, 0);
          if (type == Event.Type.OK && n != 1) {
            violations.add("acknowledged message " + id + " delivered " + n + " times");
          } else if (type == Event.Type.FAIL && n != 0) {
            violations.add("failed message " + id + " delivered " + n + " times");
          } else if (type == Event.Type.INFO && n > 1) {
            violations.add("message " + id + " with unknown outcome delivered " + n + " times");
          }
        });
    delivered.keySet().stream()
        .filter(id -> !outcome.containsKey(id))
        .sorted()
        .forEach(id -> violations.add("message " + id + " delivered but never sent"));
    return new CheckResult("exactly-once", violations, outcome.size());
  }

  /** OK over INFO (an unknown or unanswered attempt) over FAIL. */
  private static Event.Type stronger(Event.Type a, Event.Type b) {
    return rank(a) >= rank(b) ? a : b;
  }

  private static int rank(Event.Type t) {
    return switch (t) {
      case OK -> 3;
      case INFO -> 2;
      case FAIL, INVOKE -> 1;
    };
  }
}
