package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * After the final heal every shard has a primary, and every webapp's routing table equals the
 * masters' within {@code 2 x unhealthy_interval} of the heal and stays equal.
 */
public final class Convergence implements Checker {

  @Override
  public CheckResult check(History history) {
    List<String> violations = new ArrayList<>();
    List<Event> heals = history.select("heal");
    if (heals.isEmpty()) {
      return new CheckResult("convergence", List.of("the history has no final heal"), 0);
    }
    Event heal = heals.get(heals.size() - 1);
    long deadline = heal.time() + 2 * Long.parseLong(heal.value()) * 1_000_000L;
    String table = finalValue(history, "table");
    String shards = finalValue(history, "shards");
    if (table == null || shards == null) {
      return new CheckResult("convergence", List.of("the history has no final table"), 0);
    }
    Map<Integer, String> primaries = parse(table);
    for (int s = 0; s < Integer.parseInt(shards); s++) {
      if (!primaries.containsKey(s)) {
        violations.add("shard " + s + " has no primary after the heal");
      }
    }
    Map<String, List<Event>> byWebapp = new LinkedHashMap<>();
    history
        .select("table", e -> e.time() >= heal.time())
        .forEach(e -> byWebapp.computeIfAbsent(e.node(), k -> new ArrayList<>()).add(e));
    byWebapp.forEach(
        (webapp, samples) -> {
          Event first =
              samples.stream().filter(e -> table.equals(e.value())).findFirst().orElse(null);
          if (first == null) {
            Event last = samples.get(samples.size() - 1);
            violations.add(
                webapp
                    + " never matched the masters' table "
                    + table
                    + " (its last of "
                    + samples.size()
                    + " samples after the heal, "
                    + (last.time() - heal.time()) / 1_000_000
                    + " ms after it: "
                    + last.value()
                    + ")");
          } else if (first.time() > deadline) {
            violations.add(
                webapp
                    + " matched the masters only "
                    + (first.time() - heal.time()) / 1_000_000
                    + " ms after the heal (limit "
                    + (deadline - heal.time()) / 1_000_000
                    + " ms)");
          } else {
            samples.stream()
                .filter(e -> e.time() > first.time() && !table.equals(e.value()))
                .findFirst()
                .ifPresent(e -> violations.add(webapp + " diverged again: " + e.value()));
          }
        });
    return new CheckResult("convergence", violations, byWebapp.size());
  }

  private static String finalValue(History history, String key) {
    return history.select("final", e -> key.equals(e.key())).stream()
        .reduce((a, b) -> b)
        .map(Event::value)
        .orElse(null);
  }

  /** {@code 0=c1,1=c2} to shard -> coreapp. */
  static Map<Integer, String> parse(String table) {
    Map<Integer, String> out = new LinkedHashMap<>();
    for (String part : table.split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        out.put(Integer.parseInt(part.substring(0, eq).trim()), part.substring(eq + 1).trim());
      }
    }
    return out;
  }
}
