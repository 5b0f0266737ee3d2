package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every acknowledged message reached the upstream exactly once; a failed one never; one with an
 * unknown outcome at most once; and the upstream received nothing no client sent.
 */
public final class ExactlyOnce implements Checker {

  @Override
  public CheckResult check(History history) {
    Map<String, Event.Type> outcome = new HashMap<>();
    for (Event e : history.select("send")) {
      if (e.type() == Event.Type.INVOKE) {
        outcome.putIfAbsent(e.key(), Event.Type.INVOKE);
      } else {
        outcome.put(e.key(), e.type());
      }
    }
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
          } else if ((type == Event.Type.INFO || type == Event.Type.INVOKE) && n > 1) {
            violations.add("message " + id + " with unknown outcome delivered " + n + " times");
          }
        });
    delivered.keySet().stream()
        .filter(id -> !outcome.containsKey(id))
        .sorted()
        .forEach(id -> violations.add("message " + id + " delivered but never sent"));
    return new CheckResult("exactly-once", violations, outcome.size());
  }
}
