package io.multiconnect.chaos.run;

/**
 * One entry of a run's schedule: at {@code atMs} after the workload starts, {@code kind} acts on
 * {@code target} (and {@code peer}) for {@code lengthMs}, then is undone. {@code value} is the
 * kind's number (loss percent, shard count, shard). Admin operations are entries too, so a schedule
 * replays a whole run.
 *
 * <p>Targets: a node id ({@code m1}, {@code c2}, {@code w1}), {@code leader} (the Raft leader when
 * the fault starts), {@code primary:S} (the primary of shard {@code S} then), or a comma-separated
 * list of node ids for {@link Kind#HALVES} (one side).
 */
public record Fault(long atMs, long lengthMs, Kind kind, String target, String peer, int value) {

  /** What a schedule entry does. */
  public enum Kind {
    /** SIGKILL, restart after the length. */
    KILL(true),
    /** SIGSTOP, SIGCONT after the length. */
    PAUSE(true),
    /** Drop every packet to and from the target. */
    ISOLATE(true),
    /** Split masters, coreapps and webapps into two sides ({@code target} is one side). */
    HALVES(true),
    /** Each master hears only its successor: every one sees a majority, no two the same one. */
    RING(true),
    /** Drop packets from {@code target} to {@code peer} only. */
    ONE_WAY(true),
    /** Cut a coreapp from every master, both ways. */
    COREAPP_MASTER(true),
    /** Cut a webapp from every master, both ways. */
    WEBAPP_MASTER(true),
    /** Drop {@code value} percent of the target's packets, both ways. */
    LOSS(true),
    /** Stop the database (SIGTERM), start it again after the length. */
    DB_STOP(true),
    /** SIGSTOP the database, SIGCONT after the length. */
    DB_PAUSE(true),
    /**
     * Skew the target's clocks: its monotonic clock runs {@code value} per mille fast or slow
     * (within the safety argument's bound), its wall clock steps {@code value * 7} seconds.
     */
    CLOCK(true),
    /**
     * Cut a coreapp from every master (not from the upstream: it keeps its session while its lease
     * lasts) while {@code unhealthy_interval} is lowered, raised and lowered again, each change
     * before the one before could settle; restored when it ends.
     */
    SETTINGS_CHURN(true),
    /**
     * Pause every follower (the leader cannot commit), stop a coreapp gracefully (its release waits
     * for a commit) and start it again at once as a new process; the followers continue after the
     * length.
     */
    RESTART_SLOW_COMMIT(true),
    /**
     * SIGSTOP and SIGCONT a coreapp again and again (50-600 ms pauses) in the middle of its calls.
     */
    STUTTER(true),
    /**
     * Start the coreapp's twin: a second process with its id, its own address and a new
     * incarnation, while the first still holds its shards. When it ends, {@code value} 0 stops the
     * twin gracefully and starts the coreapp again; 1 starts the coreapp again while the twin lives
     * (a twin of the twin), then stops whatever of the twin is left.
     */
    TWIN(true),
    /** Admin: set the shard count to {@code value}. */
    SHARDS(false),
    /** Admin: move shard {@code value} to coreapp {@code target}. */
    MOVE(false),
    /** Admin: drain coreapp {@code target}, undrain after the length. */
    DRAIN(false);

    /** A fault (drawn on the timeline), not an operator's action. */
    public final boolean fault;

    Kind(boolean fault) {
      this.fault = fault;
    }
  }

  public long endMs() {
    return atMs + lengthMs;
  }

  /** For {@link Kind#CLOCK}: the monotonic clock's rate error. */
  public double clockRate() {
    return value / 1000.0;
  }

  /** For {@link Kind#CLOCK}: the wall clock's step. */
  public long wallOffsetSeconds() {
    return value * 7L;
  }

  /** One line for logs and the timeline. */
  public String describe() {
    String what =
        switch (kind) {
          case KILL -> "kill -9 " + target;
          case PAUSE -> "SIGSTOP " + target;
          case ISOLATE -> "isolate " + target;
          case HALVES -> "partition {" + target + "} | rest";
          case RING -> "majorities ring over the masters";
          case ONE_WAY -> "cut " + target + " -> " + peer;
          case COREAPP_MASTER, WEBAPP_MASTER -> "cut " + target + " <-> masters";
          case LOSS -> value + "% loss at " + target;
          case CLOCK ->
              String.format(
                  "clock of %s at %+.1f%% rate, wall %+d s",
                  target, value / 10.0, wallOffsetSeconds());
          case SETTINGS_CHURN -> "cut " + target + " <-> masters, churn unhealthy_interval";
          case RESTART_SLOW_COMMIT -> "restart " + target + " while nothing commits";
          case STUTTER -> "stutter " + target;
          case TWIN -> "start a twin of " + target;
          case DB_STOP -> "stop the database";
          case DB_PAUSE -> "SIGSTOP the database";
          case SHARDS -> "set shards " + value;
          case MOVE -> "move shard " + value + " to " + target;
          case DRAIN -> "drain " + target;
        };
    return what + (lengthMs > 0 ? " for " + lengthMs + " ms" : "");
  }
}
