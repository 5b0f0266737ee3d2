package io.multiconnect.common.log;

import java.time.Instant;
import java.util.function.Consumer;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** A logger handing each event it takes, as one line in the node's {@link LogFormat}, to a sink. */
final class NodeLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  private final transient LogFormat format;
  private final Level threshold;
  private final transient Consumer<String> sink;

  NodeLogger(String name, Level threshold, LogFormat format, Consumer<String> sink) {
    this.name = name;
    this.threshold = threshold;
    this.format = format;
    this.sink = sink;
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
    sink.accept(line);
  }
}
