package io.multiconnect.master.config;

import java.time.Duration;

/**
 * Raft's election timeout: a follower that hears nothing from a leader for a random time between
 * {@code electionTimeoutMin} and {@code electionTimeoutMax} campaigns, and the leader sends each
 * follower a heartbeat every {@code electionTimeoutMin / 2} when it has nothing else to send. The
 * longer it is, the fewer idle heartbeats and spurious elections on a loaded host, and the longer a
 * dead leader goes unnoticed (docs/operations.md, *Raft timing*; docs/benchmarks.md).
 */
public record RaftTiming(Duration electionTimeoutMin, Duration electionTimeoutMax) {
  static final Duration LOWEST = Duration.ofMillis(100);
  static final Duration HIGHEST = Duration.ofSeconds(30);

  /** Chosen from the benchmarks (docs/benchmarks.md, *Raft timing*). */
  public static final RaftTiming DEFAULT =
      new RaftTiming(Duration.ofMillis(480), Duration.ofMillis(600));

  public RaftTiming {
    if (electionTimeoutMin.compareTo(LOWEST) < 0 || electionTimeoutMin.compareTo(HIGHEST) > 0) {
      throw new ConfigException(
          "raft.election.timeout.min.ms",
          "must be " + LOWEST.toMillis() + "-" + HIGHEST.toMillis() + " ms");
    }
    if (electionTimeoutMax.compareTo(electionTimeoutMin.multipliedBy(5).dividedBy(4)) < 0
        || electionTimeoutMax.compareTo(HIGHEST.multipliedBy(2)) > 0) {
      throw new ConfigException(
          "raft.election.timeout.max.ms",
          "must be at least 1.25 times raft.election.timeout.min.ms (a spread that keeps two"
              + " followers from campaigning at once), at most "
              + HIGHEST.multipliedBy(2).toMillis()
              + " ms");
    }
  }

  /** How often the leader sends an idle follower a heartbeat (Ratis: half the minimum timeout). */
  public Duration heartbeatInterval() {
    return electionTimeoutMin.dividedBy(2);
  }
}
