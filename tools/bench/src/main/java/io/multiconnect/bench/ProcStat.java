package io.multiconnect.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CPU time a process used, from its {@code /proc/PID/stat} line, and how often each of its
 * threads ran, from {@code /proc/PID/task/TID/schedstat} (proc(5)).
 */
final class ProcStat {
  /** Clock ticks per second of the times in {@code /proc/PID/stat} on Linux ({@code USER_HZ}). */
  static final int TICKS_PER_SECOND = 100;

  private ProcStat() {}

  /**
   * utime plus stime of {@code stat}, in clock ticks. The command name (field 2) is in parentheses
   * and may hold spaces and parentheses itself: the fields are counted after its last ')'.
   */
  static long cpuTicks(String stat) {
    int end = stat.lastIndexOf(')');
    if (end < 0) {
      throw new IllegalArgumentException("not a /proc/PID/stat line: " + stat);
    }
    String[] rest = stat.substring(end + 1).trim().split("\\s+");
    // rest[0] is field 3 (state): utime is field 14, stime field 15.
    return Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
  }

  /** The CPU used between two readings {@code seconds} apart, in percent of one core. */
  static double percentOfCore(long ticksBefore, long ticksAfter, double seconds) {
    return 100.0 * (ticksAfter - ticksBefore) / TICKS_PER_SECOND / seconds;
  }

  /**
   * One thread's exact time on a CPU and the number of times it was put on one: every wake-up of a
   * sleeping thread is one run (and so is every return after preemption, rare on an idle machine).
   */
  record Runs(long cpuNanos, long runs) {
    /** A {@code schedstat} line: nanoseconds on a CPU, nanoseconds waiting for one, runs. */
    static Runs parse(String schedstat) {
      String[] f = schedstat.trim().split("\\s+");
      if (f.length != 3) {
        throw new IllegalArgumentException("not a schedstat line: " + schedstat);
      }
      return new Runs(Long.parseLong(f[0]), Long.parseLong(f[2]));
    }

    Runs minus(Runs earlier) {
      return new Runs(cpuNanos - earlier.cpuNanos, runs - earlier.runs);
    }
  }

  /** Each live thread of process {@code pid}, by "TID name", with its {@link Runs} so far. */
  static Map<String, Runs> threads(long pid) {
    Map<String, Runs> threads = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String name = Files.readString(task.resolve("comm")).trim();
          Runs runs = Runs.parse(Files.readString(task.resolve("schedstat")));
          threads.put(task.getFileName() + " " + name, runs);
        } catch (NoSuchFileException exited) {
          // The thread ended while it was read: it is not there after either.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return threads;
  }

  /**
   * What each thread alive at both readings did between them; a thread that started or ended in
   * between is left out (its CPU time is still in the process's {@link #cpuTicks}).
   */
  static Map<String, Runs> between(Map<String, Runs> before, Map<String, Runs> after) {
    Map<String, Runs> delta = new HashMap<>();
    after.forEach(
        (thread, runs) -> {
          Runs earlier = before.get(thread);
          if (earlier != null) {
            delta.put(thread, runs.minus(earlier));
          }
        });
    return delta;
  }
}
