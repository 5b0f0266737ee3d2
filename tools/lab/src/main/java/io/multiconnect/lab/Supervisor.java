package io.multiconnect.lab;

import io.multiconnect.common.node.DaemonThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a lab's nodes running, as a container's restart policy would: a node whose process exits
 * without the lab stopping it (a crash, a {@code kill -9} from outside) is started again after the
 * {@link RestartPolicy}'s delay. Each restart is logged and reported to {@code restarted} (the demo
 * rewrites {@code cluster.json}). Once closed, nothing more is restarted. Runs on one daemon
 * thread.
 */
final class Supervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

  private final Lab lab;
  private final RestartPolicy policy;
  private final Consumer<String> restarted;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("supervisor"));

  Supervisor(Lab lab, RestartPolicy policy, Consumer<String> restarted) {
    this.lab = lab;
    this.policy = policy;
    this.restarted = restarted;
  }

  /** From now on, restarts every node that exits unexpectedly. */
  Supervisor start() {
    long now = System.nanoTime();
    timer.execute(() -> lab.all().forEach(id -> policy.started(id, now)));
    lab.onUnexpectedExit(id -> run(() -> exited(id)));
    return this;
  }

  private void run(Runnable task) {
    try {
      timer.execute(task);
    } catch (RejectedExecutionException closed) {
      // stopping: nothing is restarted any more
    }
  }

  private void exited(String id) {
    Duration delay = policy.delayAfterExit(id, System.nanoTime());
    LOG.warn("{} exited; starting it again in {} ms", id, delay.toMillis());
    try {
      timer.schedule(() -> restart(id), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // stopping
    }
  }

  private void restart(String id) {
    if (lab.process(id).isPresent()) {
      return; // started meanwhile by someone else
    }
    try {
      lab.start(id);
      policy.started(id, System.nanoTime());
      restarted.accept(id);
    } catch (IOException e) {
      LOG.error("{} could not be started again: {}", id, e.toString());
      exited(id);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
