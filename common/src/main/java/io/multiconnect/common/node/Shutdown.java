package io.multiconnect.common.node;

import java.util.concurrent.CountDownLatch;

/** The end of every node's {@code main}: run until SIGTERM/SIGINT, then close the node cleanly. */
public final class Shutdown {
  private Shutdown() {}

  /** Blocks until the JVM is asked to stop; the shutdown hook closes {@code node} first. */
  public static void closeOnSignal(AutoCloseable node) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    node.close();
                  } catch (Exception e) {
                    System.err.println("error while stopping: " + e);
                  } finally {
                    stopped.countDown();
                  }
                },
                "shutdown"));
    stopped.await();
  }
}
