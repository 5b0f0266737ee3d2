package io.multiconnect.bench;

import io.multiconnect.lab.Lab;
import io.multiconnect.lab.Launcher;
import io.multiconnect.lab.LoopbackNetwork;
import io.multiconnect.lab.PortPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
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
 *
 * <p>An idle process's CPU is how often its threads wake times what a wake-up costs, and the second
 * factor belongs to the machine (on a virtual machine several times what it is on bare metal). So
 * the report also gives each process's wake-ups a second (its threads' runs, from {@code
 * /proc/PID/task/TID/schedstat}), the threads that used the most CPU, and the machine's own price
 * of a wake-up: a thread of this tool that parks {@value #CALIBRATION_HZ} times a second over the
 * same window and does nothing else. Wake-ups a second carry from one machine to another; the
 * percent figures do not.
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

  static final int CALIBRATION_HZ = 100;

  /** The busiest threads named per process. */
  static final int BUSIEST = 4;

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
      CompletableFuture<ProcStat.Runs> calibration =
          CompletableFuture.supplyAsync(
              () -> emptyWakeups(window * CALIBRATION_HZ),
              r -> new Thread(r, "idle-calibration").start());
      Map<String, Map<String, ProcStat.Runs>> threadsBefore = threads(pids);
      Map<String, Long> before = ticks(pids);
      long start = System.nanoTime();
      Rig.pause(window * 1000L);
      Map<String, Long> after = ticks(pids);
      Map<String, Map<String, ProcStat.Runs>> threadsAfter = threads(pids);
      double seconds = (System.nanoTime() - start) / 1e9;
      Runtime.getRuntime().removeShutdownHook(cleanup);
      Map<String, Map<String, ProcStat.Runs>> woke = new LinkedHashMap<>();
      threadsAfter.forEach(
          (node, threads) -> woke.put(node, ProcStat.between(threadsBefore.get(node), threads)));
      ProcStat.Runs empty = calibration.get();
      System.out.printf(
          "idle: an empty wake-up costs %.0f us of CPU here (a thread parked %d times a second: %.3f"
              + " %% of a core)%n",
          empty.cpuNanos() / 1e3 / Math.max(1, empty.runs()),
          CALIBRATION_HZ,
          100.0 * empty.cpuNanos() / 1e9 / window);
      return report(lab, before, after, woke, seconds);
    }
  }

  /**
   * {@code count} times, parks the calling thread until the next of deadlines {@code 1 /
   * CALIBRATION_HZ} apart and does nothing; its own runs and CPU meanwhile.
   */
  static ProcStat.Runs emptyWakeups(int count) {
    Path self = Path.of("/proc/thread-self/schedstat");
    try {
      ProcStat.Runs before = ProcStat.Runs.parse(Files.readString(self));
      long period = 1_000_000_000L / CALIBRATION_HZ;
      long deadline = System.nanoTime();
      for (int i = 0; i < count; i++) {
        deadline += period;
        for (long left = deadline - System.nanoTime();
            left > 0;
            left = deadline - System.nanoTime()) {
          LockSupport.parkNanos(left);
        }
      }
      return ProcStat.Runs.parse(Files.readString(self)).minus(before);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private int report(
      Lab lab,
      Map<String, Long> before,
      Map<String, Long> after,
      Map<String, Map<String, ProcStat.Runs>> woke,
      double seconds) {
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
      Collection<ProcStat.Runs> threads = woke.get(node).values();
      long runs = threads.stream().mapToLong(ProcStat.Runs::runs).sum();
      long nanos = threads.stream().mapToLong(ProcStat.Runs::cpuNanos).sum();
      System.out.printf(
          "  %-9s %6.2f %% of a core  %5.0f wake-ups a second, %4.0f us each  %s%n",
          node, percent, runs / seconds, nanos / 1e3 / Math.max(1, runs), target);
      System.out.printf("            busiest: %s%n", busiest(woke.get(node), seconds));
    }
    System.out.printf(
        "idle: %d shards, %d processes: %.1f %% of a core in all over %.1f s%n",
        lab.coreapps.size() - 1, after.size(), total, seconds);
    return met ? 0 : 1;
  }

  /** The threads that used the most CPU, with their share of a core and wake-ups a second. */
  static String busiest(Map<String, ProcStat.Runs> threads, double seconds) {
    return threads.entrySet().stream()
        .sorted(
            Comparator.comparingLong(
                    (Map.Entry<String, ProcStat.Runs> e) -> e.getValue().cpuNanos())
                .reversed())
        .limit(BUSIEST)
        .map(
            e ->
                String.format(
                    "%s %.2f %% %.1f/s",
                    e.getKey(),
                    100.0 * e.getValue().cpuNanos() / 1e9 / seconds,
                    e.getValue().runs() / seconds))
        .collect(Collectors.joining(", "));
  }

  private static String verdict(double percent, double target) {
    return percent <= target ? "met" : "MISSED";
  }

  private static Map<String, Map<String, ProcStat.Runs>> threads(Map<String, Long> pids) {
    Map<String, Map<String, ProcStat.Runs>> t = new LinkedHashMap<>();
    pids.forEach((node, pid) -> t.put(node, ProcStat.threads(pid)));
    return t;
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
