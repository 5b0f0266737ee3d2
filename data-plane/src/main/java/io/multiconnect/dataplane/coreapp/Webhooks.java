package io.multiconnect.dataplane.coreapp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.multiconnect.common.log.Redact;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.settings.AppSetting;
import io.multiconnect.proto.v1.upstream.AcknowledgeRequest;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A primary's webhook: the inbound messages and statuses the upstream hands its session are posted
 * to {@code webhooks.url} in the On-Premises format ({@code {"contacts":[...],"messages":[...]}},
 * {@code {"statuses":[...]}}), up to {@code webhooks.max_concurrent_requests} posts at once, each
 * with up to {@link #MAX_BATCH} events of one kind, and acknowledged to the upstream only once the
 * webhook answered 2xx. A post that fails is tried again after {@code callback_backoff_delay_ms}
 * times the attempts so far, at most {@code max_callback_backoff_delay_ms}. When the session ends,
 * what it had not acknowledged is dropped here: the upstream hands it to the next session that
 * covers its users, so every event reaches the webhook at least once, across failovers.
 *
 * <p>{@code sent} statuses are posted only with {@code sent_status} on (acknowledged either way).
 * Everything runs on one thread of its own; the HTTP client's answers are handed to it.
 */
final class Webhooks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The most events in one post. */
  static final int MAX_BATCH = 100;

  /** How long a post may take before it counts as failed. */
  static final Duration POST_TIMEOUT = Duration.ofSeconds(20);

  /** Where events came from and go back to when acknowledged: a session of the upstream. */
  record Target(String sessionId, long epoch, Channel channel) {}

  private record Batch(Target target, String kind, List<InboundEvent> events) {}

  private final String coreappId;
  private final Supplier<Map<String, String>> settings;
  private final ScheduledExecutorService exec;
  private final HttpClient http;
  private final Deque<InboundEvent> waiting = new ArrayDeque<>();
  private Target target;
  private int posting;
  private int inFlight; // events in the batches being posted
  private boolean warnedNoUrl;

  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong failedPosts = new AtomicLong();

  /**
   * @param settings the application settings now ({@link AppSetting}, defaults included)
   */
  Webhooks(String coreappId, Supplier<Map<String, String>> settings) {
    this.coreappId = coreappId;
    this.settings = settings;
    this.exec =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("webhooks-" + coreappId));
    this.http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).executor(exec).build();
  }

  /** Events for the business, handed on session {@code t}. */
  void received(Target t, List<InboundEvent> events) {
    exec.execute(
        () -> {
          follow(t);
          waiting.addAll(events);
          pump();
        });
  }

  /**
   * The session held now ({@code null}: none); what an earlier one held is the upstream's again.
   */
  void holding(Target t) {
    exec.execute(() -> follow(t));
  }

  private void follow(Target t) {
    if (t == null ? target != null : !t.equals(target)) {
      if (!waiting.isEmpty()) {
        LOG.info(
            "coreapp {}: {} webhook events of an ended session left to the next holder",
            coreappId,
            waiting.size());
      }
      waiting.clear();
      target = t;
    }
  }

  private void pump() {
    if (target == null || waiting.isEmpty()) {
      return;
    }
    Map<String, String> s = settings.get();
    String url = AppSetting.WEBHOOKS_URL.in(s);
    if (url.isEmpty()) {
      if (!warnedNoUrl) {
        warnedNoUrl = true;
        LOG.warn(
            "coreapp {}: inbound messages and statuses wait: no webhook (set webhooks.url with"
                + " PATCH /v1/settings/application)",
            coreappId);
      }
      exec.schedule(this::pump, 1, TimeUnit.SECONDS);
      return;
    }
    warnedNoUrl = false;
    int most = Integer.parseInt(AppSetting.WEBHOOKS_MAX_CONCURRENT_REQUESTS.in(s));
    boolean sentStatus = Boolean.parseBoolean(AppSetting.SENT_STATUS.in(s));
    while (posting < most && !waiting.isEmpty()) {
      String kind = waiting.peekFirst().getKind();
      List<InboundEvent> events = new ArrayList<>();
      List<InboundEvent> unposted = new ArrayList<>();
      while (events.size() < MAX_BATCH
          && !waiting.isEmpty()
          && waiting.peekFirst().getKind().equals(kind)) {
        InboundEvent e = waiting.removeFirst();
        (sentStatus || !isSent(e) ? events : unposted).add(e);
      }
      acknowledge(target, unposted);
      if (!events.isEmpty()) {
        posting++;
        inFlight += events.size();
        post(new Batch(target, kind, events), 1);
      }
    }
  }

  private static boolean isSent(InboundEvent e) {
    return e.getStatus().equals("sent");
  }

  private void post(Batch b, int attempt) {
    if (!b.target().equals(target)) {
      posting--; // the session ended: the upstream gives these to the next holder
      inFlight -= b.events().size();
      pump();
      return;
    }
    Map<String, String> s = settings.get();
    String url = AppSetting.WEBHOOKS_URL.in(s);
    HttpRequest request;
    try {
      request =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(POST_TIMEOUT)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(body(b)))
              .build();
    } catch (IllegalArgumentException e) {
      retry(
          b,
          attempt,
          s,
          Redact.urls("the webhook URL " + url + " is not usable: " + e.getMessage()));
      return;
    }
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenCompleteAsync(
            (r, e) -> {
              if (e == null && r.statusCode() / 100 == 2) {
                posting--;
                inFlight -= b.events().size();
                delivered.addAndGet(b.events().size());
                acknowledge(b.target(), b.events());
                pump();
              } else {
                retry(
                    b,
                    attempt,
                    settings.get(),
                    e != null ? e.toString() : "the webhook answered " + r.statusCode());
              }
            },
            exec);
  }

  private void retry(Batch b, int attempt, Map<String, String> s, String why) {
    failedPosts.incrementAndGet();
    long step = Long.parseLong(AppSetting.CALLBACK_BACKOFF_DELAY_MS.in(s));
    long most = Long.parseLong(AppSetting.MAX_CALLBACK_BACKOFF_DELAY_MS.in(s));
    long delay = Math.min(most, step * attempt);
    LOG.warn(
        "coreapp {}: webhook post of {} {} events failed (attempt {}: {}); again in {} ms",
        coreappId,
        b.events().size(),
        b.kind(),
        attempt,
        why,
        delay);
    exec.schedule(() -> post(b, attempt + 1), delay, TimeUnit.MILLISECONDS);
  }

  /** The webhook's body: statuses, or messages with their senders' contacts. */
  static byte[] body(Batch b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (b.kind().equals("message")) {
        ArrayNode contacts = JSON.createArrayNode();
        Set<String> seen = new LinkedHashSet<>();
        for (InboundEvent e : b.events()) {
          if (seen.add(e.getWaId())) {
            contacts
                .addObject()
                .put("wa_id", e.getWaId())
                .putObject("profile")
                .put("name", e.getProfileName());
          }
        }
        out.write("{\"contacts\":".getBytes(StandardCharsets.UTF_8));
        out.write(JSON.writeValueAsBytes(contacts));
        out.write(",\"messages\":[".getBytes(StandardCharsets.UTF_8));
      } else {
        out.write("{\"statuses\":[".getBytes(StandardCharsets.UTF_8));
      }
      for (int i = 0; i < b.events().size(); i++) {
        if (i > 0) {
          out.write(',');
        }
        b.events().get(i).getItem().writeTo(out);
      }
      out.write("]}".getBytes(StandardCharsets.UTF_8));
    } catch (IOException impossible) {
      throw new IllegalStateException(impossible);
    }
    return out.toByteArray();
  }

  private void acknowledge(Target t, List<InboundEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    // An acknowledgement that does not arrive costs a duplicate: the upstream delivers the events
    // again on this or the next session.
    UpstreamGrpc.newFutureStub(t.channel())
        .withDeadline(Deadline.after(2, TimeUnit.SECONDS))
        .acknowledge(
            AcknowledgeRequest.newBuilder()
                .setSessionId(t.sessionId())
                .setEpoch(t.epoch())
                .addAllEventIds(events.stream().map(InboundEvent::getEventId).toList())
                .build());
  }

  /**
   * Events held for the webhook now (waiting or being posted), asked on the webhook thread; empty
   * when that thread does not answer within {@code wait}.
   */
  OptionalInt backlog(Duration wait) {
    try {
      return OptionalInt.of(
          CompletableFuture.supplyAsync(() -> waiting.size() + inFlight, exec)
              .get(wait.toNanos(), TimeUnit.NANOSECONDS));
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      return OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalInt.empty();
    }
  }

  /** Events the webhook took, and posts that failed. */
  long delivered() {
    return delivered.get();
  }

  long failedPosts() {
    return failedPosts.get();
  }

  @Override
  public void close() {
    exec.shutdownNow();
  }
}
