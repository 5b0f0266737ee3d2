package io.multiconnect.bench;

/** The CPU time a process used, from its {@code /proc/PID/stat} line (proc(5)). */
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
}
