package io.multiconnect.bench;

import io.multiconnect.lab.Lab;
import io.multiconnect.lab.Launcher;
import io.multiconnect.lab.LoopbackNetwork;
import io.multiconnect.lab.PortPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tools/bench/run idle [--shards N] [--rest S] [--window S]}: the demo's cluster (3 masters,
 * N shards, N+1 coreapps, one webapp, the upstream simulator, the embedded database, the product's
 * default settings and JVMs) left with nothing to do; after {@code --rest} seconds, the CPU each
 * process used over {@code --window} seconds, read from {@code /proc/PID/stat}, in percent of one
 * core. Held against the targets: a master at most 1 % plus 0.05 % per coreapp, a coreapp at most
 * 0.5 %. Exit code 0 when every process met its target, 1 when one missed, 3 when the cluster did
 * not start.
 */
@Command(
    name = "idle",
    mixinStandardHelpOptions = true,
    description = "CPU of every process of an idle cluster, per role.")
public final class IdleFootprint implements Callable<Integer> {
  @Option(names = "--shards", description = "1, 2, 4, 8, 16 or 32 (default ${DEFAULT-VALUE}).")
  int shards = 2;

  @Option(names = "--rest", description = "Seconds of rest before the window (default 90).")
  int rest = 90;

  @Option(names = "--window", description = "Seconds measured (default 30).")
  int window = 30;

  @Option(
      names = "--jvm",
      split = " ",
      description =
          "JVM flags of every process, after a master's own (Launcher.MASTER_FLAGS; default: the"
              + " demo's, ${DEFAULT-VALUE}).")
  List<String> jvm = new ArrayList<>(Launcher.NODE_FLAGS);

  @Option(names = "--out", description = "Run directory (default run/bench/idle-SHARDS).")
  Path out;

  public static void main(String[] args) {
    System.exit(new CommandLine(new IdleFootprint()).execute(args));
  }

  /** A master's target, in percent of a core, beside {@code coreapps} coreapps. */
  static double masterTarget(int coreapps) {
    return 1.0 + 0.05 * coreapps;
  }

  static final double COREAPP_TARGET = 0.5;

  @Override
  public Integer call() throws Exception {
    Path dir = out != null ? out : Path.of("run", "bench", "idle-" + shards);
    Files.createDirectories(dir);
    int base = PortPlan.freeBase();
    Lab.Options options =
        // The webapp above every coreapp's ports (base+41 up to base+73 and base+101 up to
        // base+133).
        Lab.Options.demo(3, shards, shards + 1, base, base + 150, Optional.empty(), false)
            .withJvmFlags(jvm);
    try (Lab lab =
        new Lab(dir, System.getProperty("java.class.path"), new LoopbackNetwork(), options)) {
      Thread cleanup = new Thread(lab::close, "idle-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      lab.start();
      try {
        lab.ready(
            BenchMain.HEARTBEAT_MS, BenchMain.UNHEALTHY_MS, "idle-Passw0rd", Duration.ofMinutes(5));
      } catch (RuntimeException e) {
        System.err.println("idle: the cluster did not become ready: " + e.getMessage());
        return 3;
      }
      System.out.printf("idle: %d shards ready; resting %d s%n", shards, rest);
      Rig.pause(rest * 1000L);
      Map<String, Long> pids = new LinkedHashMap<>();
      List<String> nodes = new ArrayList<>(lab.masters);
      nodes.addAll(lab.coreapps);
      nodes.addAll(lab.webapps);
      nodes.add(Lab.UPSTREAM);
      nodes.add(Lab.DATABASE);
      for (String n : nodes) {
        lab.process(n).ifPresent(p -> pids.put(n, p.pid()));
      }
      Map<String, Long> before = ticks(pids);
      long start = System.nanoTime();
      Rig.pause(window * 1000L);
      Map<String, Long> after = ticks(pids);
      double seconds = (System.nanoTime() - start) / 1e9;
      Runtime.getRuntime().removeShutdownHook(cleanup);
      return report(lab, before, after, seconds);
    }
  }

  private int report(Lab lab, Map<String, Long> before, Map<String, Long> after, double seconds) {
    boolean met = true;
    double total = 0;
    double masterTarget = masterTarget(lab.coreapps.size());
    for (Map.Entry<String, Long> e : after.entrySet()) {
      String node = e.getKey();
      double percent = ProcStat.percentOfCore(before.get(node), e.getValue(), seconds);
      total += percent;
      String target = "";
      if (lab.masters.contains(node)) {
        target =
            String.format("target <= %.2f %%: %s", masterTarget, verdict(percent, masterTarget));
        met &= percent <= masterTarget;
      } else if (lab.coreapps.contains(node)) {
        target =
            String.format(
                "target <= %.2f %%: %s", COREAPP_TARGET, verdict(percent, COREAPP_TARGET));
        met &= percent <= COREAPP_TARGET;
      }
      System.out.printf("  %-9s %6.2f %% of a core  %s%n", node, percent, target);
    }
    System.out.printf(
        "idle: %d shards, %d processes: %.1f %% of a core in all over %.1f s%n",
        lab.coreapps.size() - 1, after.size(), total, seconds);
    return met ? 0 : 1;
  }

  private static String verdict(double percent, double target) {
    return percent <= target ? "met" : "MISSED";
  }

  private static Map<String, Long> ticks(Map<String, Long> pids) throws IOException {
    Map<String, Long> t = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : pids.entrySet()) {
      t.put(
          e.getKey(),
          ProcStat.cpuTicks(Files.readString(Path.of("/proc", e.getValue().toString(), "stat"))));
    }
    return t;
  }
}
