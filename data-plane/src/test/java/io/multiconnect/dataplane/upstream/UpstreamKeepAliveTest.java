package io.multiconnect.dataplane.upstream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.SessionAck;
import io.multiconnect.proto.v1.upstream.SessionEvent;
import io.multiconnect.proto.v1.upstream.SessionRef;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The keep-alive stream of a real simulator over gRPC: each message keeps the session it names, as
 * a call would; a session whose holder stops is dropped after the silence timeout, and the stream
 * ends on the next message.
 */
class UpstreamKeepAliveTest {
  private static final Duration SILENCE = Duration.ofMillis(300);
  private static final Duration SLACK = Duration.ofMillis(100);

  private UpstreamSimulator sim;
  private ManagedChannel channel;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Context.CancellableContext session = Context.current().withCancellation();

  @BeforeEach
  void start() throws Exception {
    sim =
        new UpstreamSimulator("127.0.0.1", 0, SILENCE, SLACK, false, 1000, TestTls.PLAINTEXT)
            .start();
    channel = Endpoints.channel("127.0.0.1:" + sim.port(), TestTls.PLAINTEXT, PeerCheck.anyNode());
  }

  @AfterEach
  void stop() {
    session.cancel(null);
    timer.shutdownNow();
    Endpoints.shutdown(List.of(channel));
    sim.close();
  }

  /** Opens a session of c1 for shard 0 at epoch 1, kept open while the test runs. */
  private SessionRef open() throws Exception {
    CompletableFuture<String> accepted = new CompletableFuture<>();
    session.run(
        () ->
            UpstreamGrpc.newStub(channel)
                .openSession(
                    OpenSessionRequest.newBuilder()
                        .setCoreappId("c1")
                        .setIncarnation("test")
                        .setShard(0)
                        .setShardCount(1)
                        .setEpoch(1)
                        .build(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(SessionEvent e) {
                        if (e.hasAccepted()) {
                          accepted.complete(e.getAccepted().getSessionId());
                        }
                      }

                      @Override
                      public void onError(Throwable t) {
                        accepted.completeExceptionally(t);
                      }

                      @Override
                      public void onCompleted() {}
                    }));
    String id = accepted.get(10, TimeUnit.SECONDS);
    return SessionRef.newBuilder().setSessionId(id).setEpoch(1).build();
  }

  private int liveSessions() {
    return UpstreamGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getReport(ReportRequest.newBuilder().setMaxEvents(1).build())
        .getLiveSessionsCount();
  }

  /** The stream's answer: its ack, or the status it ended with. */
  private static final class Answer implements StreamObserver<SessionAck> {
    final CompletableFuture<Status> status = new CompletableFuture<>();
    volatile boolean acked;

    @Override
    public void onNext(SessionAck ack) {
      acked = true;
    }

    @Override
    public void onError(Throwable t) {
      status.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      status.complete(Status.OK);
    }
  }

  @Test
  void messagesOnOneStreamKeepTheSessionUntilTheyStop() throws Exception {
    SessionRef ref = open();
    Answer answer = new Answer();
    StreamObserver<SessionRef> keepAlives = UpstreamGrpc.newStub(channel).keepAlive(answer);
    ScheduledFuture<?> beating =
        timer.scheduleAtFixedRate(() -> keepAlives.onNext(ref), 0, 100, TimeUnit.MILLISECONDS);

    // Five times the silence timeout and its slack: kept by the stream's messages alone.
    await()
        .during(SILENCE.plus(SLACK).multipliedBy(5))
        .atMost(Duration.ofSeconds(10))
        .until(() -> liveSessions() == 1);
    assertTrue(!answer.status.isDone(), "the stream stays open while its session does");

    beating.cancel(false);
    await().atMost(Duration.ofSeconds(5)).until(() -> liveSessions() == 0);
    timer.submit(() -> keepAlives.onNext(ref)).get(); // the stream's observer is not thread-safe
    Status ended = answer.status.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.FAILED_PRECONDITION, ended.getCode(), ended.toString());
    assertEquals("no open session " + ref.getSessionId() + " at epoch 1", ended.getDescription());
  }

  @Test
  void aStreamItsHolderEndsIsAnsweredWithAnAck() throws Exception {
    SessionRef ref = open();
    Answer answer = new Answer();
    StreamObserver<SessionRef> keepAlives = UpstreamGrpc.newStub(channel).keepAlive(answer);
    keepAlives.onNext(ref);
    keepAlives.onCompleted();
    assertEquals(Status.OK, answer.status.get(10, TimeUnit.SECONDS));
    assertTrue(answer.acked);
    assertEquals(1, liveSessions());
  }
}
