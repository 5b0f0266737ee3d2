package io.multiconnect.chaos.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.TextMessage;
import io.multiconnect.dataplane.upstream.UpstreamSimulator;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.SessionEvent;
import io.multiconnect.proto.v1.upstream.UpstreamEvent;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import io.multiconnect.proto.v1.upstream.UpstreamSendRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The harness reads a real simulator's report in pages over gRPC. */
class UpstreamReportTest {
  private static final int MESSAGES = 20;

  @Test
  void theWholeLogArrivesInPagesInOrder() throws IOException {
    try (Upstream u = new Upstream(1000)) {
      Report r = Collect.fullReport(u.stub, 7); // 21 events: pages of 7, 7 and 7
      assertEquals(
          LongStream.rangeClosed(1, MESSAGES + 1).boxed().toList(),
          r.getEventsList().stream().map(UpstreamEvent::getSequence).toList());
      assertEquals("session_opened", r.getEvents(0).getKind());
      assertEquals(MESSAGES, r.getAcceptedMessages());
      assertEquals(0, r.getBans());
    }
  }

  @Test
  void aLogThatLostItsOldestEventsIsRefused() throws IOException {
    try (Upstream u = new Upstream(5)) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> Collect.fullReport(u.stub, 0));
      assertEquals(
          "the upstream simulator dropped its oldest 16 events (it keeps the newest --max-events);"
              + " the checks need every one",
          e.getMessage());
    }
  }

  /** A simulator on a loopback port with one session open and {@link #MESSAGES} messages sent. */
  private static final class Upstream implements AutoCloseable {
    final UpstreamSimulator simulator;
    final ManagedChannel channel;
    final UpstreamGrpc.UpstreamBlockingStub stub;

    Upstream(int maxEvents) throws IOException {
      simulator =
          new UpstreamSimulator(
                  "127.0.0.1",
                  0,
                  Duration.ofMinutes(1),
                  Duration.ZERO,
                  false,
                  maxEvents,
                  TestTls.PLAINTEXT)
              .start();
      channel =
          Endpoints.channel(
              "127.0.0.1:" + simulator.port(), TestTls.PLAINTEXT, PeerCheck.anyNode());
      stub = UpstreamGrpc.newBlockingStub(channel);
      Iterator<SessionEvent> session =
          stub.openSession(
              OpenSessionRequest.newBuilder()
                  .setCoreappId("c1")
                  .setIncarnation("c1-1")
                  .setShard(0)
                  .setShardCount(1)
                  .setEpoch(1)
                  .build());
      String id = session.next().getAccepted().getSessionId();
      for (int i = 0; i < MESSAGES; i++) {
        stub.send(
            UpstreamSendRequest.newBuilder()
                .setSessionId(id)
                .setEpoch(1)
                .setClientMessageId("m" + i)
                .setTo("1555000" + i)
                .setType(TextMessage.TYPE)
                .setPayload(TextMessage.payload("1555000" + i, "hello"))
                .build());
      }
    }

    @Override
    public void close() {
      Endpoints.shutdown(List.of(channel));
      simulator.close();
    }
  }
}
