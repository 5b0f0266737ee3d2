package io.multiconnect.common.log;

import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * java.util.logging's records (gRPC and the gRPC inside Ratis log through it) go to the node's
 * loggers, so they come in the node's format too rather than in JUL's own two-line form.
 */
final class JulBridge extends Handler {
  private final ILoggerFactory loggers;

  private JulBridge(ILoggerFactory loggers) {
    this.loggers = loggers;
  }

  /** Replaces JUL's console handler with one writing through {@code loggers}. */
  static void install(ILoggerFactory loggers) {
    LogManager.getLogManager().reset();
    java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
    root.setLevel(java.util.logging.Level.INFO);
    root.addHandler(new JulBridge(loggers));
  }

  /** JUL's level as SLF4J's: SEVERE as ERROR, WARNING as WARN, INFO as INFO, finer as DEBUG. */
  static Level levelOf(java.util.logging.Level level) {
    int v = level.intValue();
    if (v >= java.util.logging.Level.SEVERE.intValue()) {
      return Level.ERROR;
    } else if (v >= java.util.logging.Level.WARNING.intValue()) {
      return Level.WARN;
    } else if (v >= java.util.logging.Level.INFO.intValue()) {
      return Level.INFO;
    }
    return Level.DEBUG;
  }

  @Override
  public void publish(LogRecord record) {
    if (record == null) {
      return;
    }
    Logger logger =
        loggers.getLogger(record.getLoggerName() == null ? "jul" : record.getLoggerName());
    Level level = levelOf(record.getLevel());
    if (logger.isEnabledForLevel(level)) {
      String message = record.getMessage();
      Object[] parameters = record.getParameters();
      if (message != null && parameters != null && parameters.length > 0) {
        message = java.text.MessageFormat.format(message, parameters);
      }
      logger.atLevel(level).setCause(record.getThrown()).log(message);
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
