package io.multiconnect.common.auth;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Failed password checks per key (a username, a client address): after {@link #FREE_FAILURES}
 * failures in a row the next attempt must wait {@link #FIRST_WAIT}, doubling with each further
 * failure up to {@link #MAX_WAIT}. A success clears the key; a key with no failure for {@link
 * #FORGET_AFTER} is forgotten. Guessing a password then takes years instead of hours, and a flood
 * of wrong passwords costs no password hashing while it waits. Bounded: at most {@link #MAX_KEYS}
 * keys, the oldest dropped first. Pure: the clock is given.
 */
public final class LoginThrottle {
  public static final int FREE_FAILURES = 5;
  public static final Duration FIRST_WAIT = Duration.ofSeconds(1);
  public static final Duration MAX_WAIT = Duration.ofMinutes(5);
  public static final Duration FORGET_AFTER = Duration.ofMinutes(15);
  static final int MAX_KEYS = 10_000;

  private record Failures(int count, long lastNanos, long nextAllowedNanos) {}

  private final LongSupplier nanos;
  private final Map<String, Failures> byKey = new LinkedHashMap<>(16, 0.75f, true);

  public LoginThrottle(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /** How long {@code key} must still wait before its password is checked; empty: check it now. */
  public synchronized Optional<Duration> waitFor(String key) {
    Failures f = current(key);
    if (f == null) {
      return Optional.empty();
    }
    long left = f.nextAllowedNanos() - nanos.getAsLong();
    return left > 0 ? Optional.of(Duration.ofNanos(left)) : Optional.empty();
  }

  /**
   * Before checking {@code key}'s password: how long it must still wait, or empty after counting
   * this attempt as a failure until {@link #succeeded} says otherwise. Counting first, in one step,
   * makes parallel attempts wait like sequential ones.
   */
  public synchronized Optional<Duration> attempt(String key) {
    Optional<Duration> wait = waitFor(key);
    if (wait.isEmpty()) {
      failed(key);
    }
    return wait;
  }

  /** {@code wait} in whole seconds, rounded up, at least 1: for a client's Retry-After. */
  public static long seconds(Duration wait) {
    return Math.max(1, (wait.toMillis() + 999) / 1000);
  }

  /** A wrong password for {@code key}. */
  public synchronized void failed(String key) {
    long now = nanos.getAsLong();
    Failures f = current(key);
    int count = f == null ? 1 : f.count() + 1;
    long wait = 0;
    if (count >= FREE_FAILURES) {
      int doublings = Math.min(count - FREE_FAILURES, 20);
      wait = Math.min(FIRST_WAIT.toNanos() << doublings, MAX_WAIT.toNanos());
    }
    byKey.put(key, new Failures(count, now, now + wait));
    if (byKey.size() > MAX_KEYS) {
      // The oldest key that is not waiting goes: flooding the table frees no one who must wait.
      String drop =
          byKey.entrySet().stream()
              .filter(e -> e.getValue().nextAllowedNanos() <= now)
              .map(Map.Entry::getKey)
              .findFirst()
              .orElse(byKey.keySet().iterator().next());
      byKey.remove(drop);
    }
  }

  /** The right password for {@code key}: its failures are forgotten. */
  public synchronized void succeeded(String key) {
    byKey.remove(key);
  }

  /** {@code key}'s failures, unless they are old enough to forget. */
  private Failures current(String key) {
    Failures f = byKey.get(key);
    if (f != null && nanos.getAsLong() - f.lastNanos() >= FORGET_AFTER.toNanos()) {
      byKey.remove(key);
      return null;
    }
    return f;
  }
}
