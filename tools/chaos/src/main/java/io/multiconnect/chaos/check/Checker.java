package io.multiconnect.chaos.check;

import io.multiconnect.chaos.history.History;
import java.util.List;

/** A property every run's history must have. */
public interface Checker {
  CheckResult check(History history);

  /** Every checker, in the order results are reported. */
  static List<Checker> all() {
    return List.of(
        new NoTwoPrimaries(),
        new ExactlyOnce(),
        new AdminChangesDurable(),
        new Convergence(),
        new OneLeaderPerTerm(),
        new WebhookAtLeastOnce());
  }
}
