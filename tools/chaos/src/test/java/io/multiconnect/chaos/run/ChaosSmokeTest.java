package io.multiconnect.chaos.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.chaos.check.Checker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CI smoke run: {@code tools/chaos/run} with fixed seeds, as a user runs it (namespaces when
 * this machine has them, loopback otherwise), and once in loopback mode with its TCP proxies, under
 * a minute each. Every checker must pass.
 */
@Tag("slow")
class ChaosSmokeTest {

  @ParameterizedTest(name = "seed {0}, {1}, {2} s, {3}")
  @CsvSource({
    "11, mixed, 45, default",
    "12, kill, 30, default",
    "13, partition, 30, loopback",
    "26, processes, 40, default"
  })
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void fixedSeedPassesEveryCheck(long seed, String scenario, int seconds, String network)
      throws Exception {
    Path root = Path.of(System.getProperty("user.dir")).getParent().getParent();
    Path out =
        Path.of(
            System.getProperty("user.dir"),
            "target",
            "chaos-" + scenario + "-" + seed + "-" + network);
    List<String> command =
        new ArrayList<>(
            List.of(
                root.resolve("tools/chaos/run").toString(),
                "--seed",
                Long.toString(seed),
                "--scenario",
                scenario,
                "--duration",
                Integer.toString(seconds),
                "--out",
                out.toString()));
    if (network.equals("loopback")) {
      command.add("--loopback");
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("MC_CHAOS_CLASSPATH", System.getProperty("java.class.path"));
    Files.createDirectories(out);
    pb.redirectErrorStream(true).redirectOutput(out.resolve("harness.log").toFile());
    Process p = pb.start();
    try {
      assertTrue(p.waitFor(220, TimeUnit.SECONDS), "the run did not end in 220 s");
    } finally {
      p.destroy(); // SIGTERM: the harness removes what it made
      p.waitFor(30, TimeUnit.SECONDS);
    }
    String summary =
        Files.exists(out.resolve("summary.txt"))
            ? Files.readString(out.resolve("summary.txt"))
            : "";
    System.out.println(summary);
    String log = Files.readString(out.resolve("harness.log"));
    assertEquals(0, p.exitValue(), summary.isEmpty() ? log : summary);
    List<String> lines = summary.lines().toList();
    assertEquals(Checker.all().size() + " passed, 0 failed", lines.get(lines.size() - 1));
    var acknowledged =
        java.util.regex.Pattern.compile("attempts: (\\d+) acknowledged").matcher(summary);
    assertTrue(acknowledged.find() && Long.parseLong(acknowledged.group(1)) > 100, summary);
    for (String file : List.of("schedule.json", "history.jsonl", "results.json", "timeline.html")) {
      assertTrue(Files.size(out.resolve(file)) > 0, file);
    }
  }
}
