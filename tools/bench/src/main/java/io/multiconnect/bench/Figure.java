package io.multiconnect.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One measured figure: its distribution, the target it is held against and counts that belong with
 * it (failed messages, trials that did not finish).
 *
 * @param distribution null when the figure could not be measured ({@link #unmeasured})
 * @param met whether the figure meets its target (and its other conditions: nothing failed, every
 *     trial recovered)
 */
public record Figure(
    String name,
    String unit,
    Distribution distribution,
    String target,
    boolean met,
    Map<String, Object> counts) {

  public Figure {
    counts = new LinkedHashMap<>(counts);
  }

  /** A latency figure in ms whose target is a p99 bound; {@code alsoOk}: its other conditions. */
  static Figure p99AtMost(
      String name, Distribution d, double targetMs, boolean alsoOk, Map<String, Object> counts) {
    return new Figure(
        name, "ms", d, "p99 <= " + (long) targetMs + " ms", d.p99() <= targetMs && alsoOk, counts);
  }

  /**
   * A figure that could not be measured (the cluster broke, every trial failed): missed, with the
   * reason, so the run goes on to the next figure and keeps what it measured.
   */
  static Figure unmeasured(String name, String reason) {
    return new Figure(name, "", null, "(any)", false, Map.of("not measured", reason));
  }

  /** One line for the console and summary.txt. */
  public String line() {
    return String.format(
        "%-34s %s %s  target %s: %s%s",
        name,
        distribution == null ? "-" : distribution,
        unit,
        target,
        met ? "met" : "MISSED",
        counts.isEmpty() ? "" : "  " + counts);
  }
}
