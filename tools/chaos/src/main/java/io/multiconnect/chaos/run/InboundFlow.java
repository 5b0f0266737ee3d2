package io.multiconnect.chaos.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.multiconnect.chaos.history.Event;
import io.multiconnect.client.AdminClient;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.lab.Lab;
import io.multiconnect.proto.v1.UpdateApplicationSettingsRequest;
import io.multiconnect.proto.v1.upstream.InjectInboundRequest;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The inbound side of a chaos run: the harness is the business's webhook (an HTTP server on its own
 * address, {@code Network.harnessHost}) and, all along the run, a WhatsApp user of a random number
 * writes in (one message every {@link #PAUSE}). History: {@code inbound} (a message the upstream
 * made, its id as the webhook shows it) and {@code webhook} (an event the webhook received: {@code
 * msg:ID} or {@code status:ID/STATUS}). The statuses the upstream owes come from its log ({@code
 * accepted}, {@code Collect}). Checked by {@code WebhookAtLeastOnce}.
 */
final class InboundFlow implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Duration PAUSE = Duration.ofMillis(200);

  private final Lab lab;
  private final Recorder history;
  private final HttpServer receiver;
  private final ExecutorService handlers = Executors.newFixedThreadPool(4);
  private final ManagedChannel upstream;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Thread writer;

  InboundFlow(Lab lab, Recorder history, long seed) throws IOException {
    this.lab = lab;
    this.history = history;
    this.receiver = HttpServer.create(new InetSocketAddress(lab.network().harnessHost(), 0), 0);
    receiver.setExecutor(handlers);
    receiver.createContext(
        "/hook",
        x -> {
          try {
            record(JSON.readTree(x.getRequestBody().readAllBytes()));
            x.sendResponseHeaders(200, -1);
          } catch (IOException | RuntimeException e) {
            x.sendResponseHeaders(400, -1);
          } finally {
            x.close();
          }
        });
    this.upstream =
        Endpoints.channel(
            lab.upstreamAddress(), lab.adminTls(), PeerCheck.role(NodeIdentity.Role.UPSTREAM));
    Random r = new Random(seed * 17 + 5);
    this.writer =
        DaemonThreads.thread(
            "inbound-writer",
            () -> {
              while (!stopping.get()) {
                inject("1" + (1_000_000_000L + r.nextInt(999_999_999)));
                LockSupport.parkNanos(PAUSE.toNanos());
              }
            });
  }

  private void record(JsonNode body) {
    long now = System.nanoTime();
    for (JsonNode m : body.path("messages")) {
      history.record(
          Event.of(now, Event.Type.OK, "webhook", "webhook", "msg:" + m.path("id").asText(), null));
    }
    for (JsonNode s : body.path("statuses")) {
      history.record(
          Event.of(
              now,
              Event.Type.OK,
              "webhook",
              "webhook",
              "status:" + s.path("id").asText() + "/" + s.path("status").asText(),
              null));
    }
  }

  private void inject(String from) {
    try {
      for (String id :
          UpstreamGrpc.newBlockingStub(upstream)
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .injectInbound(
                  InjectInboundRequest.newBuilder().setFrom(from).setText("chaos").build())
              .getMessageIdsList()) {
        history.record(Event.of(System.nanoTime(), Event.Type.OK, "inbound", "inbound", id, from));
      }
    } catch (RuntimeException e) {
      // the upstream did not answer: whether it made the message is unknown, and nothing is owed
    }
  }

  /** Starts the webhook, sets it (and sent statuses, quick retries) on the cluster, then writes. */
  void start(AdminClient admin) {
    receiver.start();
    admin.call(
        s ->
            s.updateApplicationSettings(
                UpdateApplicationSettingsRequest.newBuilder()
                    .putChanges(
                        "webhooks.url",
                        "http://"
                            + lab.network().harnessHost()
                            + ":"
                            + receiver.getAddress().getPort()
                            + "/hook")
                    .putChanges("sent_status", "true")
                    .putChanges("callback_backoff_delay_ms", "100")
                    .putChanges("max_callback_backoff_delay_ms", "1000")
                    .build()));
    writer.start();
  }

  /** Stops writing; waits (at most {@code wait}) until the upstream owes the webhook nothing. */
  long stopAndDrain(Duration wait) {
    stopping.set(true);
    try {
      writer.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long pending = -1;
    long until = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < until) {
      try {
        pending =
            UpstreamGrpc.newBlockingStub(upstream)
                .withDeadlineAfter(2, TimeUnit.SECONDS)
                .getReport(ReportRequest.newBuilder().setMaxEvents(1).build())
                .getInboundPending();
      } catch (RuntimeException e) {
        pending = -1;
      }
      if (pending == 0) {
        break;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
    return pending;
  }

  @Override
  public void close() {
    stopping.set(true);
    receiver.stop(0);
    handlers.shutdownNow();
    Endpoints.shutdown(List.of(upstream));
  }
}
