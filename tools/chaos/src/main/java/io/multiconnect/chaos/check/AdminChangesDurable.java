package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every acknowledged admin change is in the final state: for each key, the final value is the one
 * of the last acknowledged write, or of a write that may have happened after it (invoked after that
 * write was invoked and not definitely failed, including INFO records such as a coreapp restart
 * undraining it). It examines the final values the harness read, so a run without admin writes
 * still checks that the final state was read at all.
 */
public final class AdminChangesDurable implements Checker {

  private record Write(long invokedAt, Event.Type outcome, String value) {}

  @Override
  public CheckResult check(History history) {
    Map<String, List<Write>> writes = new LinkedHashMap<>();
    Map<String, Long> pendingInvoke = new HashMap<>();
    for (Event e : history.select("admin")) {
      String id = e.process() + "|" + e.key();
      if (e.type() == Event.Type.INVOKE) {
        pendingInvoke.put(id, e.time());
        continue;
      }
      long invokedAt = pendingInvoke.getOrDefault(id, e.time());
      pendingInvoke.remove(id);
      writes
          .computeIfAbsent(e.key(), k -> new ArrayList<>())
          .add(new Write(invokedAt, e.type(), e.value()));
    }
    Map<String, String> finalState = new HashMap<>();
    history.select("final").forEach(e -> finalState.put(e.key(), e.value()));
    List<String> violations = new ArrayList<>();
    writes.forEach(
        (key, list) -> {
          Write lastOk = null;
          for (Write w : list) {
            if (w.outcome() == Event.Type.OK
                && (lastOk == null || w.invokedAt() > lastOk.invokedAt())) {
              lastOk = w;
            }
          }
          if (lastOk == null) {
            return;
          }
          Set<String> allowed = new TreeSet<>();
          allowed.add(lastOk.value());
          for (Write w : list) {
            if (w.invokedAt() > lastOk.invokedAt() && w.outcome() != Event.Type.FAIL) {
              allowed.add(w.value());
            }
          }
          String actual = finalState.get(key);
          if (!allowed.contains(actual)) {
            violations.add(
                "acknowledged "
                    + key
                    + "="
                    + lastOk.value()
                    + " lost: final "
                    + actual
                    + ", allowed "
                    + allowed);
          }
        });
    return new CheckResult("admin-changes-durable", violations, finalState.size());
  }
}
