package io.multiconnect.chaos.check;

import java.util.List;

/** What one checker found: the violations (empty when it passed) and how much it looked at. */
public record CheckResult(String checker, List<String> violations, int examined) {
  public CheckResult {
    violations = List.copyOf(violations);
  }

  public boolean passed() {
    return violations.isEmpty();
  }
}
