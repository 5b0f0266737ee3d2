package io.multiconnect.chaos.check;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.multiconnect.chaos.history.History;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Checks a recorded history: {@code CheckMain HISTORY.jsonl [RESULTS.json]}. Prints one line per
 * checker and its violations, then {@code N passed, N failed}; exits 1 on any violation, 2 on bad
 * input.
 */
public final class CheckMain {
  private CheckMain() {}

  /**
   * Runs every checker, writes {@code results} (if given) and prints the summary to {@code out}.
   */
  public static List<CheckResult> run(History history, Path results, PrintStream out)
      throws IOException {
    List<CheckResult> all = Checker.all().stream().map(c -> c.check(history)).toList();
    for (CheckResult r : all) {
      out.printf(
          "%-22s %s (%d examined)%n", r.checker(), r.passed() ? "ok" : "FAILED", r.examined());
      r.violations().stream().limit(20).forEach(v -> out.println("  " + v));
      if (r.violations().size() > 20) {
        out.println("  ... " + (r.violations().size() - 20) + " more in the results file");
      }
    }
    if (results != null) {
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(results.toFile(), Map.of("events", history.events().size(), "checks", all));
    }
    long passed = all.stream().filter(CheckResult::passed).count();
    out.println(passed + " passed, " + (all.size() - passed) + " failed");
    return all;
  }

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: CheckMain HISTORY.jsonl [RESULTS.json]");
      System.exit(2);
    }
    try {
      History h = History.read(Path.of(args[0]));
      List<CheckResult> all = run(h, args.length == 2 ? Path.of(args[1]) : null, System.out);
      System.exit(all.stream().allMatch(CheckResult::passed) ? 0 : 1);
    } catch (IOException e) {
      System.err.println("chaos: " + e.getMessage());
      System.exit(2);
    }
  }
}
