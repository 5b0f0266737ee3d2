package io.multiconnect.chaos.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpc.ManagedChannel;
import io.multiconnect.chaos.check.CheckMain;
import io.multiconnect.chaos.check.CheckResult;
import io.multiconnect.chaos.check.WebhookAtLeastOnce;
import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import io.multiconnect.client.AdminClient;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.lab.Lab;
import io.multiconnect.lab.Network;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tools/chaos/run --seed S --duration D --scenario NAME}: starts the lab, plays the schedule
 * under load, heals, waits a quiet period, reads the final state, and checks the history. Exit code
 * 0 when every checker passed, 1 on a violation, 2 on bad usage, 3 when the harness itself failed
 * (the lab did not start, a fault could not be applied).
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = "Runs the cluster under a seeded fault schedule and checks the history.")
public final class ChaosMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosMain.class);

  /** The cluster's settings during a run: heartbeat 200 ms, unhealthy_interval 2 s. */
  static final long HEARTBEAT_MS = 200;

  static final long UNHEALTHY_MS = 2_000;

  /** After the heal: the workload goes on while the cluster settles, then final reads. */
  static final String PASSWORD = "chaos-Passw0rd";

  static final Duration QUIET = Duration.ofMillis(3 * UNHEALTHY_MS);

  /** How long after the quiet period the upstream may still owe the webhook events. */
  static final Duration DRAIN = Duration.ofSeconds(30);

  @Option(names = "--seed", description = "Seed of the schedule and the workload (default 1).")
  long seed = 1;

  @Option(names = "--duration", description = "Seconds of faults under load (default 120).")
  long durationSeconds = 120;

  @Option(
      names = "--scenario",
      description = "kill, pause, partition, loss, db, admin or mixed (default mixed).")
  String scenario = "mixed";

  @Option(names = "--schedule", description = "Replay this schedule.json instead of generating.")
  Path scheduleFile;

  @Option(names = "--out", description = "Run directory (default run/chaos/SCENARIO-SEED).")
  Path out;

  @Option(
      names = "--netns",
      description =
          "Network namespace the harness runs in: the lab gets namespaces of its own. Without"
              + " it: loopback, every link through a TCP proxy.")
  String clientNetns;

  @Option(
      names = "--client-hosts-file",
      description =
          "Loopback mode: the hosts file this JVM was started with (-Djdk.net.hosts.file), which"
              + " the harness fills with the lab's names, so it can follow a leader named m2.lab.")
  Path clientHostsFile;

  private String authorization;

  private String networkKind() {
    return clientNetns != null ? "namespace" : "loopback proxy";
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ChaosMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (durationSeconds < 10 || durationSeconds > 3_600) {
      System.err.println("chaos: --duration: must be 10-3600 seconds");
      return 2;
    }
    Schedule.Scenario sc;
    try {
      sc = Schedule.Scenario.parse(scenario);
    } catch (IllegalArgumentException e) {
      System.err.println("chaos: " + e.getMessage());
      return 2;
    }
    Path dir = out != null ? out : Path.of("run", "chaos", scenario + "-" + seed);
    // Read before the directory is cleared: the replayed file may be the previous run's own.
    Optional<Schedule> replay =
        scheduleFile != null ? Optional.of(Schedule.read(scheduleFile)) : Optional.empty();
    Files.createDirectories(dir);
    clearPreviousRun(dir);
    Network net =
        clientNetns != null
            ? new NetnsNetwork("mc" + ProcessHandle.current().pid(), clientNetns)
            : new ProxyNetwork(dir, seed, Optional.ofNullable(clientHostsFile));
    Lab lab = new Lab(dir, System.getProperty("java.class.path"), net, Lab.Options.chaos());
    Thread cleanup = new Thread(lab::close, "chaos-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C: kill every process, drop namespaces
    try {
      return run(sc, replay, dir, lab);
    } finally {
      lab.close();
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  /**
   * Removes what an earlier run left in {@code dir} (its masters' Raft logs, the database,
   * journals, history), so running the same seed again starts a new cluster. Only a run's own files
   * go.
   */
  private static void clearPreviousRun(Path dir) throws IOException {
    if (!Files.exists(dir.resolve("schedule.json"))) {
      return;
    }
    try (DirectoryStream<Path> left =
        Files.newDirectoryStream(
            dir,
            "{db,logs,m[0-9]*,journal-*,clock-*,hosts-*,*.properties,*.jsonl,results.json,"
                + "summary.txt,timeline.html,schedule.json}")) {
      for (Path p : left) {
        try (Stream<Path> tree = Files.walk(p)) {
          for (Path q : tree.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(q);
          }
        }
      }
    }
  }

  private int run(Schedule.Scenario sc, Optional<Schedule> replay, Path dir, Lab lab)
      throws Exception {
    Schedule schedule =
        replay.isPresent()
            ? replay.get()
            : Schedule.generate(
                seed,
                sc,
                durationSeconds * 1000,
                new Schedule.Topology(lab.masters, lab.coreapps, lab.webapps));
    schedule.write(dir.resolve("schedule.json"));
    System.out.printf(
        "chaos: seed %d, scenario %s, %d s, %s network, %d entries; logs in %s%n",
        schedule.seed(),
        schedule.scenario(),
        schedule.durationMs() / 1000,
        networkKind(),
        schedule.entries().size(),
        lab.logs());
    lab.start();
    AdminClient admin;
    try {
      Lab.Ready ready = lab.ready(HEARTBEAT_MS, UNHEALTHY_MS, PASSWORD, Duration.ofSeconds(120));
      admin = ready.admin();
      authorization = ready.authorization();
    } catch (RuntimeException e) {
      System.err.println("chaos: the lab did not become ready: " + e.getMessage());
      return 3;
    }
    long start = System.nanoTime();
    Workload workload;
    List<String> harnessErrors;
    long owed;
    try (Recorder history = new Recorder(dir.resolve("events-harness.jsonl"));
        Observer observer = new Observer(lab, history);
        Nemesis nemesis = new Nemesis(lab, history, admin, observer);
        InboundFlow inbound = new InboundFlow(lab, history, seed)) {
      workload = new Workload(lab, history, seed, authorization);
      observer.start();
      inbound.start(admin);
      workload.start();
      nemesis.play(schedule);
      Thread.sleep(schedule.durationMs());
      nemesis.healAll();
      history.record(Event.Type.OK, "nemesis", "heal", null, Long.toString(UNHEALTHY_MS));
      System.out.println("chaos: healed; quiet period of " + QUIET.toMillis() + " ms");
      Thread.sleep(QUIET.toMillis());
      workload.close();
      owed = inbound.stopAndDrain(DRAIN);
      observer.sample();
      finalReads(lab, admin, history);
      harnessErrors = new ArrayList<>(nemesis.errors());
    }
    List<Event> events =
        new ArrayList<>(History.read(dir.resolve("events-harness.jsonl")).events());
    for (String c : lab.coreapps) {
      events.addAll(Collect.leases(lab.journal(c)));
    }
    for (String t : lab.twins) {
      if (lab.started(t)) {
        events.addAll(Collect.leases(lab.journal(t)));
      }
    }
    events.addAll(Collect.upstream(upstreamReport(lab), System.nanoTime()));
    History h = new History(events);
    h.write(dir.resolve("history.jsonl"));
    if (owed != 0) {
      harnessErrors.add(
          "the upstream still owed the webhook "
              + (owed < 0 ? "an unknown number of" : Long.toString(owed))
              + " events "
              + DRAIN.toSeconds()
              + " s after the quiet period");
    }
    return report(dir, schedule, h, start, workload, harnessErrors);
  }

  /** The masters' final state: table, shard count, and every coreapp's drained flag. */
  private static void finalReads(Lab lab, AdminClient admin, Recorder history) {
    ClusterStatus s = Lab.leaderStatus(admin);
    String table =
        s.getShardMap().getAssignmentsList().stream()
            .sorted((a, b) -> Integer.compare(a.getShard(), b.getShard()))
            .map(a -> a.getShard() + "=" + a.getCoreappId())
            .collect(Collectors.joining(","));
    history.record(Event.Type.OK, "final", "final", "table", table);
    history.record(
        Event.Type.OK,
        "final",
        "final",
        "shards",
        Integer.toString(s.getShardMap().getShardCount()));
    for (CoreappStatus c : s.getCoreappsList()) {
      history.record(
          Event.Type.OK,
          "final",
          "final",
          "drained:" + c.getId(),
          Boolean.toString(c.getState().equals("drained")));
    }
  }

  private static Report upstreamReport(Lab lab) {
    ManagedChannel ch =
        Endpoints.channel(
            lab.upstreamAddress(), lab.adminTls(), PeerCheck.role(NodeIdentity.Role.UPSTREAM));
    try {
      return Collect.fullReport(UpstreamGrpc.newBlockingStub(ch), 0);
    } finally {
      Endpoints.shutdown(List.of(ch));
    }
  }

  private int report(
      Path dir,
      Schedule schedule,
      History h,
      long start,
      Workload workload,
      List<String> harnessErrors)
      throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream lines = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    long faults = schedule.entries().stream().filter(f -> f.kind().fault).count();
    lines.printf(
        "seed %d, scenario %s, %d s, %d faults, %d admin operations%n",
        schedule.seed(),
        schedule.scenario(),
        schedule.durationMs() / 1000,
        faults,
        schedule.entries().size() - faults);
    lines.printf(
        "attempts: %d acknowledged, %d refused (4xx, connection refused), %d unknown outcome;"
            + " %d delivered, %d duplicates absorbed by the upstream%n",
        workload.ok.get(),
        workload.failed.get(),
        workload.unknown.get(),
        h.select("delivered").size(),
        h.select("duplicate").size());
    lines.printf(
        "webhook: %d inbound messages written, %d messages owing statuses, %d events received,"
            + " %d of them duplicates%n",
        h.select("inbound").size(),
        h.select("accepted").size(),
        h.select("webhook").size(),
        WebhookAtLeastOnce.duplicates(h));
    lines.printf(
        "primaries: %d lease intervals, %d upstream sessions, %d leaders seen%n",
        h.select("lease").size(), h.select("session").size(), h.select("leader").size());
    harnessErrors.forEach(e -> lines.println("harness error: " + e));
    List<CheckResult> checks = CheckMain.run(h, null, lines);
    String summary = buffer.toString(StandardCharsets.UTF_8);
    System.out.print(summary);
    Files.writeString(dir.resolve("summary.txt"), summary);
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("seed", schedule.seed());
    results.put("scenario", schedule.scenario());
    results.put("duration_s", schedule.durationMs() / 1000);
    results.put("network", networkKind());
    results.put(
        "messages",
        Map.of(
            "acknowledged", workload.ok.get(),
            "refused", workload.failed.get(),
            "unknown", workload.unknown.get()));
    results.put("events", h.events().size());
    results.put("harness_errors", harnessErrors);
    results.put("checks", checks);
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(dir.resolve("results.json").toFile(), results);
    List<String> violations = checks.stream().flatMap(c -> c.violations().stream()).toList();
    Files.writeString(
        dir.resolve("timeline.html"),
        Timeline.html(
            h, start, "chaos " + schedule.scenario() + " seed " + schedule.seed(), violations));
    if (!violations.isEmpty()) {
      return 1;
    }
    return harnessErrors.isEmpty() ? 0 : 3;
  }
}
