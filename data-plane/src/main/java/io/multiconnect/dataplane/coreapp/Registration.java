package io.multiconnect.dataplane.coreapp;

/**
 * This process's registration with the masters, decided purely: whether one is in flight, and from
 * which replicated state on an answer saying another process is registered under this coreapp's id
 * is conclusive. An answer computed from a state older than this process's own registration entry
 * (a heartbeat sent before the registration committed, answered after) only says the registration
 * had not applied yet. Not thread-safe: the loop owns it.
 */
final class Registration {
  private boolean inFlight;

  /** Raft index of this process's registration entry; 0 until a master confirmed one. */
  private long confirmedVersion;

  /** Whether to send a registration now: false while one is in flight. */
  boolean begin() {
    if (inFlight) {
      return false;
    }
    inFlight = true;
    return true;
  }

  /** A master confirmed the registration, committed at {@code version}. */
  void confirmed(long version) {
    inFlight = false;
    confirmedVersion = Math.max(confirmedVersion, version);
  }

  void failed() {
    inFlight = false;
  }

  /**
   * Whether an answer computed from the state at {@code answerVersion} that names another process
   * as registered means this one was superseded: only a state that includes this process's own
   * registration can say so.
   */
  boolean supersededBy(long answerVersion) {
    return confirmedVersion > 0 && answerVersion >= confirmedVersion;
  }
}
