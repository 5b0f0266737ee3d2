package io.multiconnect.common.node;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon threads every node runs its background work on (loops, timers, pollers): daemon, so a
 * node whose close did not finish still lets its JVM exit, and named, so a thread dump tells whose
 * thread it is.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  /**
   * A factory of daemon threads named {@code name}; with a {@code %d} in it, numbered from 0 in the
   * order they are made.
   */
  public static ThreadFactory named(String name) {
    AtomicInteger made = new AtomicInteger();
    return task ->
        thread(name.contains("%d") ? String.format(name, made.getAndIncrement()) : name, task);
  }

  /** A daemon thread named {@code name} that will run {@code task}, not started yet. */
  public static Thread thread(String name, Runnable task) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    return t;
  }

  /** Starts {@code task} on a new daemon thread named {@code name}. */
  public static Thread start(String name, Runnable task) {
    Thread t = thread(name, task);
    t.start();
    return t;
  }
}
