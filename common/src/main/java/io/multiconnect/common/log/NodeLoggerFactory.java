package io.multiconnect.common.log;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The loggers of a node: events at {@code MC_LOG_LEVEL} (default INFO) and above, the chattiest
 * libraries' (Ratis, Jetty, Javalin, gRPC, whose frame logger would write headers) at WARN and
 * above, written in {@code MC_LOG_FORMAT}; the last of them also kept in memory ({@link #recent}).
 */
final class NodeLoggerFactory implements ILoggerFactory {
  /** The variable that sets the level. */
  static final String LEVEL_ENV = "MC_LOG_LEVEL";

  private static final Map<String, Level> QUIETER =
      Map.of(
          "org.apache.ratis",
          Level.WARN,
          "org.eclipse.jetty",
          Level.WARN,
          "io.javalin",
          Level.WARN,
          "io.grpc",
          Level.WARN);

  private final Level level;
  private final LogFormat format;
  private final PrintStream out;
  private final Map<String, Logger> loggers = new ConcurrentHashMap<>();

  /** The last lines written: 5 000 at most, 1 Mi characters at most. */
  private final RecentLines recent = new RecentLines(5_000, 1 << 20);

  NodeLoggerFactory(Level level, LogFormat format, PrintStream out) {
    this.level = level;
    this.format = format;
    this.out = out;
  }

  /** From {@code env}; a value it cannot read is said once on {@code out}, and the default kept. */
  static NodeLoggerFactory fromEnv(Map<String, String> env, PrintStream out) {
    LogFormat format;
    try {
      format = LogFormat.fromEnv(env);
    } catch (IllegalArgumentException e) {
      out.println("logging: " + e.getMessage() + "; writing text");
      format = LogFormat.TEXT;
    }
    Level level = Level.INFO;
    String named = env.getOrDefault(LEVEL_ENV, "").trim();
    if (!named.isEmpty()) {
      try {
        level = Level.valueOf(named.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        out.println(
            "logging: "
                + LEVEL_ENV
                + ": one of TRACE, DEBUG, INFO, WARN, ERROR, got '"
                + named
                + "'; logging at INFO");
      }
    }
    return new NodeLoggerFactory(level, format, out);
  }

  @Override
  public Logger getLogger(String name) {
    return loggers.computeIfAbsent(
        name,
        n ->
            new NodeLogger(
                n,
                levelOf(n),
                format,
                line -> {
                  out.println(line); // one call: written whole, never interleaved with another
                  recent.add(line);
                }));
  }

  /** The last lines written, oldest first. */
  String recent() {
    return recent.text();
  }

  /** The level of logger {@code name}: the node's, or WARN under a chatty library. */
  Level levelOf(String name) {
    Level l = level;
    for (Map.Entry<String, Level> q : QUIETER.entrySet()) {
      if ((name.equals(q.getKey()) || name.startsWith(q.getKey() + "."))
          && q.getValue().toInt() > l.toInt()) {
        l = q.getValue();
      }
    }
    return l;
  }
}
