package io.multiconnect.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiconnect.lab.Lab;
import io.multiconnect.lab.LoopbackNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tools/bench/run [--quick] [--only LIST] [--out DIR]}: starts a cluster as separate
 * processes on loopback (embedded MariaDB, upstream simulator, 3 masters, 3 coreapps for 2 shards,
 * 1 webapp), measures the end-to-end figures on it one after the other, and writes {@code
 * results.jsonl} and {@code summary.txt}. Exit code 0 when every figure met its target, 1 when one
 * missed, 2 on bad usage, 3 when the cluster did not start.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measures failover, propagation, heartbeat capacity and message throughput.")
public final class BenchMain implements Callable<Integer> {
  static final List<String> FIGURES =
      List.of(
          "move",
          "drain",
          "watch",
          "mirror",
          "throughput",
          "template",
          "inbound",
          "failover",
          "leader",
          "failover-fast",
          "heartbeats",
          "startup");

  /** The product's defaults, and the fast profile of the targets. */
  static final long HEARTBEAT_MS = 1_000;

  static final long UNHEALTHY_MS = 5_000;
  static final long FAST_HEARTBEAT_MS = 100;
  static final long FAST_UNHEALTHY_MS = 1_000;

  @Option(names = "--quick", description = "Few trials of each figure: under 3 minutes in all.")
  boolean quick;

  @Option(
      names = "--only",
      split = ",",
      description = "Figures to measure (default all): ${COMPLETION-CANDIDATES}",
      completionCandidates = Names.class)
  List<String> only;

  @Option(
      names = "--trials",
      description = "Trials per failover and move figure (default 30; --quick 3).")
  Integer trials;

  @Option(
      names = "--warmup",
      description =
          "Seconds of load through the whole message path before the throughput figure (default 90;"
              + " --quick 5).")
  Integer warmup;

  @Option(
      names = "--move-warmup",
      description =
          "Unmeasured moves (and drains) before the measured ones (default 60; --quick 1).")
  Integer moveWarmup;

  @Option(
      names = "--jvm",
      split = " ",
      description =
          "JVM flags of every process the bench starts, after a master's own (Launcher.MASTER_FLAGS;"
              + " default: ${DEFAULT-VALUE}).")
  List<String> jvm = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC"));

  @Option(
      names = "--plaintext",
      description =
          "No TLS between the nodes (they run with mutual TLS by default): to compare the two.")
  boolean plaintext;

  @Option(
      names = "--out",
      description = "Run directory (default run/bench/full or run/bench/quick).")
  Path out;

  static final class Names extends ArrayList<String> {
    Names() {
      super(FIGURES);
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<String> wanted = only == null ? FIGURES : only;
    for (String w : wanted) {
      if (!FIGURES.contains(w)) {
        System.err.println("bench: --only: unknown figure '" + w + "' (one of " + FIGURES + ")");
        return 2;
      }
    }
    int n = trials != null ? trials : quick ? 3 : 30;
    if (warmup != null && (warmup < 0 || warmup > 3_600)) {
      System.err.println("bench: --warmup: must be 0-3600 seconds");
      return 2;
    }
    if (moveWarmup != null && (moveWarmup < 0 || moveWarmup > 1_000)) {
      System.err.println("bench: --move-warmup: must be 0-1000 trials");
      return 2;
    }
    if (n < 1 || n > 1_000) {
      System.err.println("bench: --trials: must be 1-1000");
      return 2;
    }
    Path dir = out != null ? out : Path.of("run", "bench", quick ? "quick" : "full");
    clear(dir);
    Files.createDirectories(dir);
    // The upstream simulator keeps 20 000 events (2 s of messages at 10 000/s; the benchmarks read
    // none): kept longer, they outlive young collections and its old generation fills with them.
    Lab.Options options = Lab.Options.bench(jvm, plaintext);
    try (Lab lab =
        new Lab(dir, System.getProperty("java.class.path"), new LoopbackNetwork(), options)) {
      Thread cleanup = new Thread(lab::close, "bench-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      System.out.println("bench: starting the cluster; logs in " + lab.logs());
      lab.start();
      Rig rig;
      try {
        rig =
            new Rig(
                lab,
                lab.ready(HEARTBEAT_MS, UNHEALTHY_MS, "bench-Passw0rd", Duration.ofSeconds(120)));
      } catch (RuntimeException e) {
        System.err.println("bench: the cluster did not become ready: " + e.getMessage());
        return 3;
      }
      List<Figure> figures = measure(rig, Set.copyOf(wanted), n, dir);
      Runtime.getRuntime().removeShutdownHook(cleanup);
      long missed = figures.stream().filter(f -> !f.met()).count();
      System.out.printf(
          "bench: %d figures, %d missed their target; %s%n",
          figures.size(), missed, dir.resolve("summary.txt"));
      return missed == 0 ? 0 : 1;
    }
  }

  private int warmupSeconds() {
    return warmup != null ? warmup : quick ? 5 : 90;
  }

  private List<Figure> measure(Rig rig, Set<String> wanted, int n, Path dir) throws Exception {
    List<Figure> figures = new ArrayList<>();
    int rounds = quick ? 10 : 50;
    int warmupTrials = moveWarmup != null ? moveWarmup : quick ? 1 : 60;
    double seconds = quick ? 3 : 10;
    for (String f : FIGURES) {
      if (!wanted.contains(f)) {
        continue;
      }
      System.out.println("bench: " + f + "...");
      List<Figure> got;
      try {
        got = measureOne(rig, f, n, rounds, warmupTrials, seconds);
      } catch (Exception e) { // one broken figure (every trial failed, say) must not end the run
        System.err.println("bench: " + f + " could not be measured: " + e);
        e.printStackTrace();
        got = List.of(Figure.unmeasured(f, e.toString()));
      }
      for (Figure g : got) {
        System.out.println("  " + g.line());
        record(dir, g);
      }
      figures.addAll(got);
    }
    return figures;
  }

  private List<Figure> measureOne(
      Rig rig, String f, int n, int rounds, int warmupTrials, double seconds) throws Exception {
    return switch (f) {
      case "move" -> List.of(PlannedMove.run(rig, PlannedMove.Kind.MOVE, warmupTrials, n, 250));
      case "drain" -> List.of(PlannedMove.run(rig, PlannedMove.Kind.DRAIN, warmupTrials, n, 250));
      case "watch" -> {
        int warm = quick ? 20 : 200;
        List<Figure> spread = WatchFanout.run(rig, warm, rounds, HEARTBEAT_MS, 50, false);
        List<Figure> leader = WatchFanout.run(rig, warm, rounds, HEARTBEAT_MS, 50, true);
        yield Stream.concat(spread.stream(), leader.stream()).toList();
      }
      case "mirror" -> List.of(MirrorLag.run(rig, rounds, HEARTBEAT_MS, 200));
      case "throughput" -> Throughput.run(rig, warmupSeconds(), seconds, 64, 10_000, 2);
      case "template" -> List.of(Throughput.templates(rig, warmupSeconds(), seconds, 64));
      case "inbound" -> Inbound.run(rig, seconds, quick ? 20_000 : 100_000, 50, 5_000);
      case "failover" -> List.of(CoreappFailover.run(rig, "defaults (1 s / 5 s)", n, 6_000));
      case "leader" -> List.of(LeaderFailover.run(rig, n, 2_000));
      case "failover-fast" -> {
        fastProfile(rig);
        yield List.of(CoreappFailover.run(rig, "fast (100 ms / 1 s)", n, 1_500));
      }
      case "heartbeats" ->
          HeartbeatLoad.run(
              rig,
              quick
                  ? new int[] {500, 2_000, 10_000, 20_000}
                  : new int[] {500, 1_000, 2_000, 5_000, 10_000, 20_000, 40_000},
              quick ? 5 : 30,
              quick ? 2 : 5,
              5,
              20_000);
      case "startup" -> StartupTime.run(rig, Math.min(n, 10));
      default -> throw new IllegalStateException(f);
    };
  }

  /** Switches to heartbeat 100 ms, unhealthy 1 s, and waits until leases under 5 s have run out. */
  private static void fastProfile(Rig rig) {
    rig.admin.updateSettings(FAST_HEARTBEAT_MS, FAST_UNHEALTHY_MS);
    Rig.pause(UNHEALTHY_MS + 2 * HEARTBEAT_MS);
  }

  private static void record(Path dir, Figure f) throws IOException {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("at", Instant.now().toString());
    row.put("figure", f.name());
    row.put("unit", f.unit());
    row.put("distribution", f.distribution());
    row.put("target", f.target());
    row.put("met", f.met());
    row.put("counts", f.counts());
    Files.writeString(
        dir.resolve("results.jsonl"),
        new ObjectMapper().writeValueAsString(row) + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Files.writeString(
        dir.resolve("summary.txt"),
        f.line() + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** Removes an earlier run's files from {@code dir} (its masters' logs, database, results). */
  private static void clear(Path dir) throws IOException {
    if (!Files.exists(dir.resolve("summary.txt")) && !Files.exists(dir.resolve("logs"))) {
      return;
    }
    try (Stream<Path> tree = Files.walk(dir)) {
      for (Path q : tree.sorted(Comparator.reverseOrder()).toList()) {
        if (!q.equals(dir)) {
          Files.delete(q);
        }
      }
    }
  }
}
