package io.multiconnect.chaos.run;

import io.multiconnect.chaos.history.Event.Type;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.lab.Lab;
import io.multiconnect.lab.Network;
import io.multiconnect.proto.v1.ShardAssignment;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays a {@link Schedule}: each entry starts at its time and is undone after its length (a killed
 * node restarts, a paused one continues, rules are flushed, a drained coreapp is undrained). {@link
 * #healAll} ends whatever is still going.
 */
final class Nemesis implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Nemesis.class);

  /** The longest a fault's end, or the final heal, waits for work in progress. */
  private static final Duration BEGIN_WAIT = Duration.ofSeconds(60);

  private final Lab lab;
  private final Recorder history;
  private final AdminClient admin;
  private final Observer observer;
  private final ScheduledThreadPoolExecutor timer = timer();

  /** Each fault begun, once its beginning is done (or failed): its end waits for that. */
  private final Map<Fault, CountDownLatch> begun = new ConcurrentHashMap<>();

  private final Map<Fault, String> resolved = new ConcurrentHashMap<>();
  private final List<String> errors = new ArrayList<>();

  Nemesis(Lab lab, Recorder history, AdminClient admin, Observer observer) {
    this.lab = lab;
    this.history = history;
    this.admin = admin;
    this.observer = observer;
  }

  /** Two threads; on shutdown, what is running finishes and what waits is dropped. */
  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(2);
    t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return t;
  }

  /** Schedules every entry relative to now. */
  void play(Schedule schedule) {
    for (Fault f : schedule.entries()) {
      begun.put(f, new CountDownLatch(1));
      timer.schedule(() -> guarded(f, true), f.atMs(), TimeUnit.MILLISECONDS);
      if (f.lengthMs() > 0) {
        timer.schedule(() -> guarded(f, false), f.endMs(), TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * Begins or ends {@code f}. An end waits until the beginning is done (a fault whose commands are
   * slow, such as many nft rules, is not healed while its last rules are still going in), at most
   * {@link #BEGIN_WAIT}; but not the end of a {@link Fault.Kind#RESTART_SLOW_COMMIT}, whose
   * beginning (a graceful stop waiting for a commit) needs the end (the followers continued) to
   * finish. Once the final heal has begun, no fault begins.
   */
  private void guarded(Fault f, boolean begin) {
    try {
      if (begin && timer.isShutdown()) {
        return;
      }
      if (begin) {
        begin(f);
      } else if (f.kind() == Fault.Kind.RESTART_SLOW_COMMIT
          || begun.get(f).await(BEGIN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        end(f);
      } else {
        error(
            "ending " + f.describe() + ": still beginning after " + BEGIN_WAIT.toSeconds() + " s");
      }
    } catch (IOException | RuntimeException e) {
      error((begin ? "starting " : "ending ") + f.describe() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (begin) {
        begun.get(f).countDown();
      }
    }
  }

  private void error(String message) {
    LOG.warn(message);
    synchronized (errors) {
      errors.add(message);
    }
  }

  List<String> errors() {
    synchronized (errors) {
      return List.copyOf(errors);
    }
  }

  private void begin(Fault f) throws IOException {
    if (!f.kind().fault) {
      operate(f, true);
      return;
    }
    String target = resolve(f);
    resolved.put(f, target);
    history.record(
        Type.INVOKE, "nemesis", "fault", f.kind().name(), f.describe() + " => " + target);
    LOG.info("fault: {} (target {})", f.describe(), target);
    Network net = lab.network();
    switch (f.kind()) {
      case KILL -> lab.kill(target);
      case PAUSE -> lab.signal(target, "STOP");
      case ISOLATE -> {
        for (String other : others(target)) {
          net.cut(target, other);
          net.cut(other, target);
        }
      }
      case HALVES -> {
        List<String> side = List.of(f.target().split(","));
        for (String a : side) {
          for (String b : members()) {
            if (!side.contains(b)) {
              net.cut(a, b);
              net.cut(b, a);
            }
          }
        }
      }
      case RING -> {
        int n = lab.masters.size();
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            if (j != i && j != (i + 1) % n) {
              net.cut(lab.masters.get(j), lab.masters.get(i)); // i hears only i + 1
            }
          }
        }
      }
      case ONE_WAY -> net.cut(target, f.peer());
      case COREAPP_MASTER, WEBAPP_MASTER -> {
        for (String m : lab.masters) {
          net.cut(target, m);
          net.cut(m, target);
        }
      }
      case LOSS -> net.loss(target, f.value());
      case DB_STOP -> lab.stop("db");
      case DB_PAUSE -> lab.signal("db", "STOP");
      case CLOCK -> lab.skew(target, f.clockRate(), f.wallOffsetSeconds() * 1000);
      case SETTINGS_CHURN -> {
        for (String m : lab.masters) {
          net.cut(target, m);
          net.cut(m, target);
        }
        long[] unhealthy = {1_200, 3_000, 1_000};
        for (int i = 0; i < unhealthy.length; i++) {
          long u = unhealthy[i];
          later(() -> settings(u), i * f.lengthMs() / 3);
        }
      }
      case RESTART_SLOW_COMMIT -> {
        String leader = observer.leader().orElse(lab.masters.get(0));
        for (String m : lab.masters) {
          if (!m.equals(leader)) {
            lab.signal(m, "STOP");
          }
        }
        lab.stop(target); // graceful: its release cannot commit now
        lab.start(target);
      }
      case STUTTER ->
          stutter(target, System.nanoTime() + f.lengthMs() * 1_000_000, new Random(f.atMs()));
      case TWIN -> {
        lab.start(lab.twinOf(target));
        registered(target, "twin-" + target);
      }
      default -> throw new IllegalStateException(f.kind() + " is not a fault");
    }
  }

  /** Sets unhealthy_interval (heartbeats as the harness runs them); a refusal is logged. */
  private void settings(long unhealthyMs) {
    try {
      admin.updateSettings(ChaosMain.HEARTBEAT_MS, unhealthyMs);
      history.record(
          Type.INFO, "nemesis", "settings", "unhealthy_interval", Long.toString(unhealthyMs));
    } catch (AdminException e) {
      LOG.info("settings unhealthy_interval={} ms: {}", unhealthyMs, e.getMessage());
    }
  }

  /** One pause of 50-600 ms, then a run of 100-1000 ms, until {@code untilNanos}. */
  private void stutter(String target, long untilNanos, Random r) {
    if (System.nanoTime() >= untilNanos) {
      return;
    }
    long pause = 50 + r.nextInt(551);
    long run = 100 + r.nextInt(901);
    try {
      lab.signal(target, "STOP");
    } catch (IOException e) {
      error("stutter " + target + ": " + e);
      return;
    }
    later(
        () -> {
          try {
            lab.signal(target, "CONT");
          } catch (IOException e) {
            error("stutter " + target + ": " + e);
          }
          later(() -> stutter(target, untilNanos, r), run);
        },
        pause);
  }

  /**
   * Runs {@code task} on the timer after {@code ms}; not once the final heal has begun, which ends
   * every fault itself (a process a stutter stopped is continued there).
   */
  private void later(Runnable task, long ms) {
    try {
      timer.schedule(task, ms, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException healing) {
      LOG.debug("not scheduled: the final heal has begun");
    }
  }

  private void end(Fault f) throws IOException {
    if (!f.kind().fault) {
      operate(f, false);
      return;
    }
    String target = resolved.getOrDefault(f, f.target());
    switch (f.kind()) {
      case KILL -> restart(target);
      case PAUSE -> lab.signal(target, "CONT");
      case DB_STOP -> lab.start("db");
      case DB_PAUSE -> lab.signal("db", "CONT");
      case CLOCK -> lab.skew(target, 0, 0);
      case SETTINGS_CHURN -> {
        settings(ChaosMain.UNHEALTHY_MS);
        lab.network().heal();
      }
      case RESTART_SLOW_COMMIT -> {
        for (String m : lab.masters) {
          lab.signal(m, "CONT");
        }
        restart(target);
      }
      case STUTTER -> lab.signal(target, "CONT");
      case TWIN -> endTwin(target, f.value() == 1);
      default -> lab.network().heal();
    }
    history.record(Type.OK, "nemesis", "fault", f.kind().name(), f.describe() + " => " + target);
    LOG.info("healed: {}", f.describe());
  }

  /**
   * Ends a twin: stops it and starts the coreapp again (its first process exited when the twin
   * superseded it), or, {@code twinOfTwin}, starts the coreapp first, so that it supersedes the
   * live twin in turn, and stops what is left of the twin after at most {@link
   * Schedule#TWIN_EXIT_MS}.
   */
  private void endTwin(String coreapp, boolean twinOfTwin) throws IOException {
    String twin = lab.twinOf(coreapp);
    if (!awaitJournal(twin)) {
      return; // interrupted: the harness is stopping, and stops the twin itself
    }
    if (twinOfTwin && lab.hasProcess(coreapp)) {
      LOG.info("{} was not superseded yet: its twin {} is only stopped", coreapp, twin);
    }
    if (twinOfTwin && restart(coreapp)) {
      Optional<Process> left = lab.process(twin);
      if (left.isPresent()) {
        try {
          left.get().waitFor(Schedule.TWIN_EXIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // the heal stops the twin
          return;
        }
      }
    }
    lab.stop(twin);
    restart(coreapp);
  }

  /**
   * Waits, at most {@link Schedule#TWIN_START_MS}, until the twin has created its lease journal or
   * its process has exited: a twin stopped before it wrote its journal on a loaded machine would
   * leave the checks nothing to read, and a twin that has not started yet has not been a twin.
   * Whether the wait ended without an interrupt.
   */
  private boolean awaitJournal(String twin) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Schedule.TWIN_START_MS);
    Optional<Process> p = lab.process(twin);
    while (!Files.exists(lab.journal(twin))
        && p.isPresent()
        && p.get().isAlive()
        && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    if (!Files.exists(lab.journal(twin))) {
      LOG.warn("{} wrote no lease journal within {} ms", twin, Schedule.TWIN_START_MS);
    }
    return true;
  }

  /** Starts a node that has no process; whether it did. */
  private boolean restart(String node) throws IOException {
    if (lab.hasProcess(node)) {
      return false; // running, or still being stopped by the fault that restarts it itself
    }
    lab.start(node);
    if (lab.coreapps.contains(node)) {
      registered(node, "restart-" + node);
    }
    return true;
  }

  /** A process of {@code coreapp} started: registering undrains it, an admin write of its own. */
  private void registered(String coreapp, String by) {
    history.record(Type.INFO, by, "admin", "drained:" + coreapp, "false");
  }

  /** Admin entries: shard count, moves, drains (and their undrain at the end). */
  private void operate(Fault f, boolean begin) {
    String key =
        switch (f.kind()) {
          case SHARDS -> "shards";
          case MOVE -> "move:" + f.value();
          default -> "drained:" + f.target();
        };
    String value =
        switch (f.kind()) {
          case SHARDS -> Integer.toString(f.value());
          case MOVE -> f.target();
          default -> Boolean.toString(begin);
        };
    String op = f.kind() == Fault.Kind.MOVE ? "move" : "admin";
    history.record(Type.INVOKE, "admin", op, key, value);
    Type outcome;
    try {
      switch (f.kind()) {
        case SHARDS -> admin.setShardCount(f.value());
        case MOVE -> admin.movePrimary(f.value(), f.target());
        default -> admin.setDrained(f.target(), begin);
      }
      outcome = Type.OK;
    } catch (AdminException e) {
      outcome =
          e.kind() == AdminException.Kind.INVALID_ARGUMENT
                  || e.kind() == AdminException.Kind.UNAUTHENTICATED
              ? Type.FAIL
              : Type.INFO;
      LOG.info("admin {} {}: {}", key, value, e.getMessage());
    }
    history.record(outcome, "admin", op, key, value);
  }

  /** {@code leader} and {@code primary:S} as they are now; a node id as it is. */
  private String resolve(Fault f) {
    String t = f.target();
    if (t == null) {
      return "";
    }
    if (t.equals("leader")) {
      return observer.leader().orElse(lab.masters.get(0));
    }
    if (t.startsWith("primary:")) {
      int shard = Integer.parseInt(t.substring("primary:".length()));
      try {
        return admin.status().getShardMap().getAssignmentsList().stream()
            .filter(a -> a.getShard() == shard)
            .map(ShardAssignment::getCoreappId)
            .findFirst()
            .orElse(lab.coreapps.get(0));
      } catch (AdminException e) {
        return lab.coreapps.get(0);
      }
    }
    return t;
  }

  /** Every node and the harness itself, but {@code node}. */
  private List<String> others(String node) {
    List<String> out = new ArrayList<>(lab.all());
    out.add("client");
    out.remove(node);
    return out;
  }

  /** The nodes a partition splits: masters, coreapps, webapps. */
  private List<String> members() {
    List<String> out = new ArrayList<>(lab.masters);
    out.addAll(lab.coreapps);
    out.addAll(lab.webapps);
    return out;
  }

  /**
   * Ends every fault: rules flushed, clocks back to the machine's rate, paused processes continued,
   * stopped ones started.
   */
  void healAll() {
    // What is not due yet is dropped (the heal below ends every fault); what runs finishes first.
    timer.shutdown();
    try {
      if (!timer.awaitTermination(2 * BEGIN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        error("a fault was still beginning or ending after " + 2 * BEGIN_WAIT.toSeconds() + " s");
        timer.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      lab.network().heal();
    } catch (IOException e) {
      error("heal: " + e);
    }
    try {
      if (admin.settings().getUnhealthyIntervalMs() != ChaosMain.UNHEALTHY_MS) {
        settings(ChaosMain.UNHEALTHY_MS); // a settings churn still going
      }
    } catch (AdminException e) {
      error("heal settings: " + e);
    }
    for (String node : members()) {
      try {
        lab.skew(node, 0, 0);
      } catch (IOException e) {
        error("heal clock of " + node + ": " + e);
      }
    }
    lab.twins.forEach(lab::stop);
    for (String node : lab.all()) {
      try {
        lab.signal(node, "CONT");
        restart(node);
      } catch (IOException e) {
        error("heal " + node + ": " + e);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
