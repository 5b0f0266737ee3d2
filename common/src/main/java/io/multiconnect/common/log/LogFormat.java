package io.multiconnect.common.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * How a node writes a log event ({@code MC_LOG_FORMAT}): {@code text} for people (the default:
 * time, level, the logger's short name, the message; a stack trace on the lines after it), {@code
 * kv} ({@code key=value} pairs) and {@code json} (one object) for machines. {@code kv} and {@code
 * json} write one line per event, a stack trace included, with the same keys in the same order:
 * {@code ts}, {@code level}, {@code logger}, {@code thread}, {@code msg}, and {@code error} when
 * the event carries one.
 */
public enum LogFormat {
  TEXT,
  KV,
  JSON;

  /** The variable that chooses the format. */
  public static final String ENV = "MC_LOG_FORMAT";

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);

  /** The format {@code env} names; {@link #TEXT} when it names none. */
  public static LogFormat fromEnv(Map<String, String> env) {
    String v = env.getOrDefault(ENV, "text").trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "kv" -> KV;
      case "json" -> JSON;
      case "text", "" -> TEXT;
      default ->
          throw new IllegalArgumentException(ENV + ": one of text, kv, json, got '" + v + "'");
    };
  }

  /** The event as this format writes it, without the final line break. */
  public String format(
      Instant at, Level level, String logger, String thread, String message, Throwable error) {
    String ts = TIME.format(at);
    return switch (this) {
      case TEXT -> {
        String line = ts + " " + level + " " + shortName(logger) + " - " + message;
        yield error == null
            ? line
            : line + System.lineSeparator() + stackTrace(error).stripTrailing();
      }
      case KV -> {
        StringBuilder b = new StringBuilder();
        b.append("ts=").append(ts).append(" level=").append(level);
        b.append(" logger=").append(kvValue(logger)).append(" thread=").append(kvValue(thread));
        b.append(" msg=").append(kvValue(message));
        if (error != null) {
          b.append(" error=").append(kvValue(stackTrace(error).stripTrailing()));
        }
        yield b.toString();
      }
      case JSON -> {
        StringBuilder b = new StringBuilder("{");
        b.append("\"ts\":")
            .append(jsonString(ts))
            .append(",\"level\":")
            .append(jsonString(level.toString()));
        b.append(",\"logger\":").append(jsonString(logger));
        b.append(",\"thread\":").append(jsonString(thread));
        b.append(",\"msg\":").append(jsonString(message));
        if (error != null) {
          b.append(",\"error\":").append(jsonString(stackTrace(error).stripTrailing()));
        }
        yield b.append('}').toString();
      }
    };
  }

  /** {@code io.multiconnect.master.MasterNode} as {@code MasterNode}. */
  static String shortName(String logger) {
    return logger.substring(logger.lastIndexOf('.') + 1);
  }

  private static String stackTrace(Throwable error) {
    StringWriter w = new StringWriter();
    error.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  /**
   * A value as is when it is a plain word, else in double quotes with {@code \}, {@code "} and the
   * control characters escaped ({@code \n}, {@code \t}, {@code \\uXXXX}): a value never breaks the
   * line or the pairs.
   */
  static String kvValue(String v) {
    if (!v.isEmpty()
        && v.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '"' && c != '=' && c != '\\')) {
      return v;
    }
    return quoted(v);
  }

  static String jsonString(String v) {
    return quoted(v);
  }

  /** {@code v} in double quotes, escaped as JSON escapes a string (which a kv reader takes too). */
  private static String quoted(String v) {
    StringBuilder b = new StringBuilder(v.length() + 2).append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
