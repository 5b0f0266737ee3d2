package io.multiconnect.chaos.run;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.Event.Type;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.lab.Lab;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clients sending messages through the webapps, each with a unique id as its {@code
 * Idempotency-Key}: 201 is recorded OK, a 4xx or a refused connection FAIL, and a 503, a timeout or
 * a connection broken after sending INFO (unknown outcome: an attempt may have reached the
 * upstream). A message with an unknown outcome or a refused connection is sent again later with the
 * same key (through any webapp), as a careful client would, at most {@link #RETRIES} attempts in
 * all. Bounded in rate, count and time.
 */
final class Workload implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Workload.class);
  static final int SENDERS = 3;
  static final int RETRIES = 3;
  static final long MAX_MESSAGES = 200_000;
  static final Duration PAUSE = Duration.ofMillis(15);

  private record Pending(String id, String to, int attempts) {}

  private final Lab lab;
  private final Recorder history;
  private final long seed;
  private final String authorization;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicLong next = new AtomicLong();
  private final ConcurrentLinkedQueue<Pending> retry = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  final AtomicLong ok = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  final AtomicLong unknown = new AtomicLong();

  /**
   * @param authorization the {@code Authorization} header of every request (a bearer token)
   */
  Workload(Lab lab, Recorder history, long seed, String authorization) {
    this.lab = lab;
    this.history = history;
    this.seed = seed;
    this.authorization = authorization;
  }

  void start() {
    for (int i = 0; i < SENDERS; i++) {
      int sender = i;
      Thread t = DaemonThreads.thread("sender-" + i, () -> run(sender));
      threads.add(t);
      t.start();
    }
  }

  private void run(int sender) {
    Random r = new Random(seed * 31 + sender);
    String process = "client-" + sender;
    while (!stopping.get()) {
      Pending p = retry.poll();
      if (p == null) {
        long n = next.incrementAndGet();
        if (n > MAX_MESSAGES) {
          return;
        }
        p = new Pending("s" + seed + "-" + n, "1" + (1_000_000_000L + r.nextInt(999_999_999)), 0);
      }
      String webapp = lab.webapps.get(r.nextInt(lab.webapps.size()));
      send(process, webapp, p);
      LockSupport.parkNanos(PAUSE.toNanos());
    }
  }

  private void send(String process, String webapp, Pending p) {
    history.record(
        new Event(
            System.nanoTime(),
            Type.INVOKE,
            process,
            "send",
            webapp,
            null,
            null,
            null,
            null,
            p.id(),
            p.to(),
            null));
    Type outcome;
    String detail;
    boolean again = false;
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(lab.webappUrl(webapp) + "/v1/messages"))
                  .timeout(Duration.ofSeconds(5))
                  .header("Authorization", authorization)
                  .header("Content-Type", "application/json")
                  .header("Idempotency-Key", p.id())
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"to\":\""
                              + p.to()
                              + "\",\"type\":\"text\",\"text\":{\"body\":\"chaos\"}}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      int status = r.statusCode();
      outcome = status == 201 ? Type.OK : status >= 400 && status < 500 ? Type.FAIL : Type.INFO;
      detail = Integer.toString(status);
      if (outcome == Type.FAIL) {
        LOG.warn("message {} refused: {} {}", p.id(), status, r.body());
      }
    } catch (ConnectException e) {
      outcome = Type.FAIL; // never sent: the webapp is down or cut off
      detail = "connection refused";
      again = true;
    } catch (IOException e) {
      outcome = Type.INFO;
      detail = e.getClass().getSimpleName();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome = Type.INFO;
      detail = "interrupted";
    }
    history.record(Event.of(System.nanoTime(), outcome, process, "send", p.id(), detail));
    switch (outcome) {
      case OK -> ok.incrementAndGet();
      case FAIL -> failed.incrementAndGet();
      default -> {
        unknown.incrementAndGet();
        again = true;
      }
    }
    if (again && p.attempts() + 1 < RETRIES) {
      retry.add(new Pending(p.id(), p.to(), p.attempts() + 1));
    }
  }

  /** Stops sending and waits for the senders (each request ends within its 5 s timeout). */
  @Override
  public void close() throws InterruptedException {
    stopping.set(true);
    for (Thread t : threads) {
      t.join(10_000);
    }
  }
}
