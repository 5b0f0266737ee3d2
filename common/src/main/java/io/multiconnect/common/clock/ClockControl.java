package io.multiconnect.common.clock;

import io.multiconnect.common.node.DaemonThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the chaos harness skew a node's {@link NodeClock} from outside: with {@code
 * MC_CLOCK_CONTROL} naming a file, the node reads it at start and whenever it changes (checked
 * every {@value #POLL_MS} ms). The file holds one line, {@code rate=R wall_offset_ms=W}: the
 * monotonic clock runs at {@code 1 + R} times the machine's, the wall clock reads {@code W} ms
 * ahead (or behind). A missing file means no skew; a malformed one is logged and ignored.
 */
public final class ClockControl {
  private static final Logger LOG = LoggerFactory.getLogger(ClockControl.class);
  public static final String ENV = "MC_CLOCK_CONTROL";
  static final long POLL_MS = 50;

  /** A parsed control file. */
  record Skew(double rate, Duration wallOffset) {
    static final Skew NONE = new Skew(0, Duration.ZERO);
  }

  private ClockControl() {}

  /** The machine's clock, controlled through the file {@code MC_CLOCK_CONTROL} names, if any. */
  public static NodeClock fromEnvironment(Map<String, String> env) {
    NodeClock clock = NodeClock.system();
    Optional<Path> file = Optional.ofNullable(env.get(ENV)).filter(f -> !f.isBlank()).map(Path::of);
    if (file.isPresent()) {
      String initial = apply(file.get(), clock, null);
      Thread poller =
          DaemonThreads.thread("clock-control", () -> follow(file.get(), clock, initial));
      poller.start();
    }
    return clock;
  }

  private static void follow(Path file, NodeClock clock, String initial) {
    String applied = initial;
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        return;
      }
      applied = apply(file, clock, applied);
    }
  }

  /** Applies the file if its text differs from {@code applied}; returns the text now in force. */
  private static String apply(Path file, NodeClock clock, String applied) {
    String text = read(file);
    if (text.equals(applied)) {
      return applied;
    }
    try {
      Skew s = text.isBlank() ? Skew.NONE : parse(text);
      clock.skew(s.rate(), s.wallOffset());
      LOG.info("clock: rate {}, wall offset {} ms ({})", s.rate(), s.wallOffset().toMillis(), file);
    } catch (IllegalArgumentException e) {
      LOG.warn("clock: ignoring {}: {}", file, e.getMessage());
    }
    return text;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file).strip();
    } catch (NoSuchFileException e) {
      return "";
    } catch (IOException e) {
      LOG.warn("clock: cannot read {}: {}", file, e.toString());
      return "";
    }
  }

  /** {@code rate=R wall_offset_ms=W}, either part optional (0 when absent). */
  static Skew parse(String text) {
    double rate = 0;
    long wallMs = 0;
    for (String part : text.strip().split("\\s+")) {
      String[] kv = part.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("expected key=value, got '" + part + "'");
      }
      try {
        switch (kv[0]) {
          case "rate" -> rate = Double.parseDouble(kv[1]);
          case "wall_offset_ms" -> wallMs = Long.parseLong(kv[1]);
          default -> throw new IllegalArgumentException("unknown key '" + kv[0] + "'");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(kv[0] + ": not a number: '" + kv[1] + "'");
      }
    }
    if (!(Math.abs(rate) <= NodeClock.MAX_RATE)) {
      throw new IllegalArgumentException("rate: must be within ±" + NodeClock.MAX_RATE);
    }
    return new Skew(rate, Duration.ofMillis(wallMs));
  }
}
