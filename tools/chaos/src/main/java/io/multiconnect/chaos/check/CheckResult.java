package io.multiconnect.chaos.check;

import java.util.List;

/**
 * What one checker found: the violations (empty when it passed) and how much it looked at. A
 * checker that examined nothing did not pass: a run that recorded none of what it checks proves
 * nothing, so such a result carries a violation saying so.
 */
public record CheckResult(String checker, List<String> violations, int examined) {
  public CheckResult {
    if (examined == 0 && violations.isEmpty()) {
      violations = List.of(checker + " examined nothing: the history has none of what it checks");
    }
    violations = List.copyOf(violations);
  }

  public boolean passed() {
    return violations.isEmpty();
  }
}
