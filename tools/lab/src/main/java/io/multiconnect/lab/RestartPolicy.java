package io.multiconnect.lab;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * When a node that exited is started again, as a container's restart policy decides: after {@code
 * first}; after twice the previous delay (at most {@code max}) when the node exits again within
 * {@code stable} of its last start, so a node that cannot start is not restarted in a tight loop.
 * Pure: times are the caller's monotonic nanoseconds. Not thread-safe.
 */
final class RestartPolicy {
  private final Duration first;
  private final Duration max;
  private final Duration stable;
  private final Map<String, Long> startedAtNanos = new HashMap<>();
  private final Map<String, Duration> lastDelay = new HashMap<>();

  RestartPolicy(Duration first, Duration max, Duration stable) {
    this.first = first;
    this.max = max;
    this.stable = stable;
  }

  /** 2 s, doubling to 30 s for a node that exits again within a minute of its start. */
  static RestartPolicy standard() {
    return new RestartPolicy(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMinutes(1));
  }

  /** The node was started at {@code nowNanos}. */
  void started(String node, long nowNanos) {
    startedAtNanos.put(node, nowNanos);
  }

  /** The node exited at {@code nowNanos}: how long to wait before starting it again. */
  Duration delayAfterExit(String node, long nowNanos) {
    Long started = startedAtNanos.get(node);
    Duration previous = lastDelay.get(node);
    boolean crashLoop =
        started != null && previous != null && nowNanos - started < stable.toNanos();
    Duration delay = crashLoop ? min(previous.multipliedBy(2), max) : first;
    lastDelay.put(node, delay);
    return delay;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
