package io.multiconnect.bench;

import io.multiconnect.common.node.DaemonThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Senders in closed loops through the webapp to one recipient, each recording when its message was
 * sent, when the answer came and its HTTP status. Every message has an idempotency key of its own,
 * as a client that wants exactly-once would send it.
 */
final class Prober implements AutoCloseable {

  /** One message: sent and answered at these {@code System.nanoTime()} instants. */
  record Outcome(long sentNanos, long doneNanos, int status) {
    boolean ok() {
      return status == 201;
    }
  }

  private static final AtomicLong KEYS = new AtomicLong();

  private final Rig rig;
  private final String to;
  private final List<Thread> threads = new ArrayList<>();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Outcome> firstOk = new AtomicReference<>();
  private volatile boolean running;

  Prober(Rig rig, String to) {
    this.rig = rig;
    this.to = to;
  }

  /** Starts {@code senders} loops. */
  Prober start(int senders) {
    running = true;
    String run = Long.toString(ProcessHandle.current().pid());
    for (int i = 0; i < senders; i++) {
      Thread t =
          DaemonThreads.thread(
              "prober-" + i,
              () -> {
                while (running) {
                  long sent = System.nanoTime();
                  int status = rig.send(to, "bench-" + run + "-" + KEYS.incrementAndGet());
                  Outcome o = new Outcome(sent, System.nanoTime(), status);
                  outcomes.add(o);
                  if (o.ok()) {
                    firstOk.accumulateAndGet(
                        o, (a, b) -> a == null || b.doneNanos() < a.doneNanos() ? b : a);
                  }
                }
              });
      t.start();
      threads.add(t);
    }
    return this;
  }

  /** The first message answered 201, if one was. */
  Optional<Outcome> firstOk() {
    return Optional.ofNullable(firstOk.get());
  }

  /** Stops sending and waits for every message in flight to be answered. */
  List<Outcome> stop() {
    running = false;
    for (Thread t : threads) {
      try {
        t.join(15_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    threads.clear();
    return new ArrayList<>(outcomes);
  }

  @Override
  public void close() {
    stop();
  }
}
