package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** At most one master was seen leading any one Raft term. */
public final class OneLeaderPerTerm implements Checker {

  @Override
  public CheckResult check(History history) {
    Map<Long, String> leaders = new TreeMap<>();
    Set<String> violations = new LinkedHashSet<>();
    for (Event e : history.select("leader")) {
      String before = leaders.putIfAbsent(e.term(), e.node());
      if (before != null && !before.equals(e.node())) {
        violations.add("term " + e.term() + " led by " + before + " and " + e.node());
      }
    }
    return new CheckResult("one-leader-per-term", List.copyOf(violations), leaders.size());
  }
}
