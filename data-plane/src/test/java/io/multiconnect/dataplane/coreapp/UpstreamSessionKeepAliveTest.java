package io.multiconnect.dataplane.coreapp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.upstream.UpstreamSimulator;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A coreapp's keep-alives against a real simulator over gRPC, made where the coreapp makes them: on
 * the thread of the session's connection ({@link UpstreamLink#windowThread}). While the acting
 * deadline has not passed they hold the session well past the upstream's silence timeout; from the
 * deadline on none is written, and the upstream drops the session for silence.
 */
class UpstreamSessionKeepAliveTest {
  // Longer than the product's 300 + 100 ms, so that a stall of the loaded test machine shorter than
  // three keep-alive periods (900 ms) cannot drop the session.
  private static final Duration SILENCE = Duration.ofSeconds(1);
  private static final Duration SLACK = Duration.ofMillis(200);

  private final NodeClock clock = NodeClock.system();
  private final ExecutorService loop = Executors.newSingleThreadExecutor();
  private UpstreamSimulator sim;
  private UpstreamLink link;
  private ManagedChannel reports;
  private UpstreamSession upstream;

  @BeforeEach
  void start() throws Exception {
    sim =
        new UpstreamSimulator("127.0.0.1", 0, SILENCE, SLACK, false, 1000, TestTls.PLAINTEXT)
            .start();
    String address = "127.0.0.1:" + sim.port();
    link = new UpstreamLink(address, TestTls.PLAINTEXT);
    reports = Endpoints.channel(address, TestTls.PLAINTEXT, PeerCheck.anyNode());
    upstream =
        new UpstreamSession(
            "c1",
            "test",
            link,
            clock,
            loop,
            SILENCE.plus(SLACK),
            Duration.ofSeconds(2),
            new UpstreamSession.Listener() {
              @Override
              public void sessionChanged() {}

              @Override
              public void quiet() {}

              @Override
              public void inbound(Webhooks.Target on, List<InboundEvent> events) {}
            });
  }

  @AfterEach
  void stop() throws Exception {
    loop.submit(() -> upstream.closeIfAny("test over")).get(5, TimeUnit.SECONDS);
    loop.shutdownNow();
    link.close();
    Endpoints.shutdown(List.of(reports));
    sim.close();
  }

  private int liveSessions() {
    return UpstreamGrpc.newBlockingStub(reports)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getReport(ReportRequest.newBuilder().setMaxEvents(1).build())
        .getLiveSessionsCount();
  }

  private String acceptedSessionId() throws Exception {
    return loop.submit(() -> upstream.held().map(LeaseDecisions.Held::sessionId).orElse(null))
        .get(5, TimeUnit.SECONDS);
  }

  @Test
  void keepAlivesFromTheConnectionsThreadHoldTheSessionUntilTheActingDeadlineOnly()
      throws Exception {
    loop.submit(() -> upstream.open(new Assignment(0, "c1", 1), 1)).get(5, TimeUnit.SECONDS);
    await("the upstream accepts the session")
        .atMost(Duration.ofSeconds(10))
        .until(() -> acceptedSessionId() != null);
    Duration acting = Duration.ofSeconds(4);
    long deadline = clock.nanoTime() + acting.toNanos();
    Acting a = new Acting(0, 1, 1, acceptedSessionId(), deadline, null);
    long period = SILENCE.plus(SLACK).toNanos() / 4;
    ScheduledFuture<?> beating =
        link.windowThread()
            .scheduleWithFixedDelay(
                () -> upstream.keepAlive(a), period, period, TimeUnit.NANOSECONDS);
    try {
      // Twice the silence timeout and its slack: only the keep-alives keep the session.
      await("the keep-alives hold the session")
          .during(SILENCE.plus(SLACK).multipliedBy(2))
          .atMost(acting)
          .until(() -> liveSessions() == 1);
      // They go on, but the acting deadline has passed: nothing is written any more, and the
      // upstream drops the session within its silence timeout and slack of the deadline.
      await("the upstream drops the session after the acting deadline")
          .pollInterval(Duration.ofMillis(20))
          .atMost(acting.plus(Duration.ofSeconds(5)))
          .until(() -> liveSessions() == 0);
      long droppedAfterDeadline = clock.nanoTime() - deadline;
      assertTrue(
          droppedAfterDeadline >= 0,
          "the session was dropped before the acting deadline, while keep-alives were due");
      assertTrue(
          droppedAfterDeadline <= SILENCE.plus(SLACK).plusMillis(300).toNanos(),
          "the session outlived the acting deadline by "
              + droppedAfterDeadline / 1_000_000
              + " ms: a keep-alive went out after it");
    } finally {
      beating.cancel(false);
    }
  }
}
