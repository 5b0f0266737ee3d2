package io.multiconnect.common.log;

import java.io.PrintStream;
import java.time.Instant;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * A logger writing each event it takes whole to standard error, in the node's {@link LogFormat}.
 */
final class NodeLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  private final transient LogFormat format;
  private final Level threshold;
  private final transient PrintStream out;

  NodeLogger(String name, Level threshold, LogFormat format, PrintStream out) {
    this.name = name;
    this.threshold = threshold;
    this.format = format;
    this.out = out;
  }

  private boolean enabled(Level level) {
    return level.toInt() >= threshold.toInt();
  }

  @Override
  public boolean isTraceEnabled() {
    return enabled(Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return enabled(Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return enabled(Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return enabled(Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return enabled(Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] arguments, Throwable error) {
    String message = MessageFormatter.basicArrayFormat(pattern, arguments);
    String line =
        format.format(Instant.now(), level, name, Thread.currentThread().getName(), message, error);
    out.println(line); // one call: PrintStream writes it whole, never interleaved with another
  }
}
