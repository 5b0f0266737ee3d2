package io.multiconnect.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How the lab (and the tests that run nodes as processes) start, signal and stop a node's JVM. It
 * signals only processes it was given by the caller that started them, by their pid, and their own
 * descendants (the database server under the database wrapper); never a process found by name.
 */
public final class Launcher {
  private Launcher() {}

  /**
   * The JVM options every node of the product runs with unless its operator says otherwise (the
   * demo's nodes here; {@code bin/multiconnect} gives the same to a master, coreapp, webapp or
   * upstream before {@code JAVA_OPTS}, whose options win). {@code -XX:-UsePerfData}: the JVM no
   * longer samples its performance counters into a shared file every 50 ms, half of an idle JVM's
   * CPU (0.12 % of a core of 0.24 %, a quarter of an idle coreapp's budget) and a known source of
   * pauses when the disk under /tmp is busy; {@code jcmd PID} still works, {@code jps} and {@code
   * jstat} no longer see the node. The JVM's own housekeeping wakes an idle process about ten times
   * a second, and on a virtual machine each wake-up costs 0.1-0.3 ms of CPU whatever it does: G1's
   * remembered-set sampling every 300 ms ({@code G1ConcRefinementServiceIntervalMillis}, which only
   * refines G1's pause-time predictions) and the check for idle monitors to deflate every 250 ms
   * ({@code AsyncDeflationInterval}; a diagnostic option, hence the unlock) run every 5 s instead:
   * an empty JVM 0.04 % of a core instead of 0.09 % (docs/benchmarks.md, *Idle CPU, fifth pass*).
   */
  public static final List<String> NODE_FLAGS =
      List.of(
          "-XX:-UsePerfData",
          "-XX:G1ConcRefinementServiceIntervalMillis=5000",
          "-XX:+UnlockDiagnosticVMOptions",
          "-XX:AsyncDeflationInterval=5000");

  /**
   * A master's JVM options beside {@link #NODE_FLAGS}: the quick compiler (C1) only, and at a tenth
   * of its usual thresholds. A master's work is small and steady (heartbeats, Raft's own messages,
   * a proposal now and then): the optimizing compiler's compilations, started one by one as idle
   * traffic crossed their thresholds, were still half of an idle master's CPU after 90 s, and took
   * the machine's cores from the coreapps during a start; quick compilations at low thresholds are
   * done in a master's first seconds. The price is a leader that answers fewer heartbeats a second
   * at its limit (docs/benchmarks.md, *Idle CPU, fourth pass*). Given before {@link #NODE_FLAGS}
   * and the operator's options, so {@code -XX:TieredStopAtLevel=4 -XX:CompileThresholdScaling=1}
   * among those brings the optimizing compiler back.
   */
  public static final List<String> MASTER_FLAGS =
      List.of("-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=0.1");

  /**
   * The command that runs {@code mainAndArgs} in a JVM of this Java installation with {@code
   * jvmFlags} on {@code classpath}. With {@code gcLogs}, the JVM writes one line per collection
   * pause (with its real and CPU time: a pause far longer than its CPU time waited for a core) to
   * {@code gcLogs/ID-gc-PID.log}, so a restart keeps the earlier one's.
   */
  public static List<String> java(
      String id, List<String> jvmFlags, String classpath, Path gcLogs, List<String> mainAndArgs) {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmFlags);
    command.add("-Xlog:gc,gc+cpu:file=" + gcLogs.resolve(id + "-gc-%p.log") + ":time,uptime");
    command.addAll(List.of("-cp", classpath));
    command.addAll(mainAndArgs);
    return command;
  }

  /**
   * Starts {@code command} with {@code env} on top of this JVM's environment less its own node
   * settings ({@code MC_*}, {@code WA_API_KEY}), appending its output to {@code log}.
   */
  public static Process start(List<String> command, Map<String, String> env, Path log)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("MC_") || k.equals("WA_API_KEY"));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb.start();
  }

  /** SIGKILL to {@code p} and its descendants; waits up to 10 s until it is gone. */
  public static void kill(Process p) {
    List<ProcessHandle> tree = tree(p);
    tree.forEach(ProcessHandle::destroyForcibly);
    awaitGone(tree, 10);
  }

  /**
   * SIGTERM to {@code p}, then waits up to {@code seconds} for it and every process it started (a
   * namespace wrapper's child outlives the wrapper) to exit; SIGKILL to whatever is left. When it
   * returns, nothing of the node runs, so its ports are free for the next one.
   */
  public static void stop(Process p, long seconds) {
    List<ProcessHandle> tree = tree(p);
    p.destroy();
    if (!awaitGone(tree, seconds)) {
      tree.forEach(ProcessHandle::destroyForcibly);
      awaitGone(tree, 10);
    }
  }

  private static List<ProcessHandle> tree(Process p) {
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(p.toHandle());
    p.descendants().forEach(tree::add);
    return tree;
  }

  /** Whether every process of {@code tree} exited within {@code seconds}. */
  private static boolean awaitGone(List<ProcessHandle> tree, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (ProcessHandle h : tree) {
      long left = deadline - System.nanoTime();
      try {
        h.onExit().get(Math.max(0, left), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (ExecutionException | TimeoutException e) {
        return false;
      }
    }
    return true;
  }

  /** SIGTERM to {@code p}, which stops gracefully (every node's main closes it). */
  public static void terminate(Process p) {
    p.destroy();
  }

  /** Waits up to {@code seconds} for {@code p} to exit; whether it did. */
  public static boolean waitFor(Process p, long seconds) {
    try {
      return p.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    }
  }

  /** {@code kill -SIGNAL} (STOP, CONT) to {@code p} and its descendants. */
  public static void signal(Process p, String signal) throws IOException {
    List<Long> pids = new ArrayList<>();
    pids.add(p.pid());
    p.descendants().forEach(d -> pids.add(d.pid()));
    for (long pid : pids) {
      Cmd.quietly("kill", "-" + signal, Long.toString(pid));
    }
  }
}
