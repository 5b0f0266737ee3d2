package io.multiconnect.common.log;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * SLF4J's binding for every role (META-INF/services): {@link NodeLoggerFactory} from the
 * environment, writing to standard error; java.util.logging's records go the same way.
 */
public final class NodeLogging implements SLF4JServiceProvider {
  private ILoggerFactory loggers;
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new NOPMDCAdapter();

  /**
   * The last lines this process logged (at most 5 000 lines, 1 Mi characters), oldest first; a line
   * that says so when this process logs through another SLF4J binding.
   */
  public static String recentLines() {
    return LoggerFactory.getILoggerFactory() instanceof NodeLoggerFactory f
        ? f.recent()
        : "(this process does not log through " + NodeLogging.class.getName() + ")\n";
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return loggers;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {
    loggers = NodeLoggerFactory.fromEnv(System.getenv(), System.err);
    JulBridge.install(loggers);
  }
}
