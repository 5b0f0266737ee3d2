package io.multiconnect.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.net.LoopbackPorts;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The coreapp's heartbeat stream against masters that answer, stay silent (a stuck master) or end
 * the stream, over real gRPC on loopback. The real masters' side is in WatchAndRelayTest.
 */
@Tag("slow")
class HeartbeatStreamTest {
  private static final Duration DEADLINE = Duration.ofSeconds(1);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  /** A master stand-in: answers each heartbeat with its sequence while {@code answering}. */
  private static final class Master extends ControlPlaneGrpc.ControlPlaneImplBase {
    final AtomicBoolean answering = new AtomicBoolean(true);
    final AtomicInteger streams = new AtomicInteger();
    final AtomicReference<StreamObserver<HeartbeatResponse>> last = new AtomicReference<>();

    @Override
    public StreamObserver<HeartbeatRequest> heartbeatStream(StreamObserver<HeartbeatResponse> out) {
      streams.incrementAndGet();
      last.set(out);
      return new StreamObserver<>() {
        @Override
        public void onNext(HeartbeatRequest r) {
          if (answering.get()) {
            synchronized (out) {
              out.onNext(HeartbeatResponse.newBuilder().setSequence(r.getSequence()).build());
            }
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
  }

  private ManagedChannel serve(Master m) throws Exception {
    int port = LoopbackPorts.next();
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .addService(m)
            .build()
            .start();
    servers.add(s);
    ManagedChannel c =
        Endpoints.channel("127.0.0.1:" + port, TestTls.PLAINTEXT, PeerCheck.anyNode());
    channels.add(c);
    // Connected before the test starts: a cold first call can take longer than a deadline here.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> c.getState(true) == io.grpc.ConnectivityState.READY);
    return c;
  }

  @AfterEach
  void stop() {
    Endpoints.shutdown(channels);
    servers.forEach(Server::shutdownNow);
    timer.shutdownNow();
  }

  private static HeartbeatRequest beat(long sequence) {
    return HeartbeatRequest.newBuilder().setCoreappId("c").setSequence(sequence).build();
  }

  private static Status.Code failure(ListenableFuture<HeartbeatResponse> f) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return Status.fromThrowable(e.getCause()).getCode();
  }

  @Test
  void eachHeartbeatGetsTheAnswerWithItsSequenceOnOneStream() throws Exception {
    Master m = new Master();
    ManagedChannel c = serve(m);
    try (HeartbeatStream hs = new HeartbeatStream(timer, DEADLINE)) {
      List<ListenableFuture<HeartbeatResponse>> answers = new ArrayList<>();
      for (long k = 1; k <= 20; k++) {
        answers.add(hs.send(c, beat(k)));
      }
      for (int i = 0; i < answers.size(); i++) {
        assertEquals(i + 1, answers.get(i).get(10, TimeUnit.SECONDS).getSequence());
      }
      assertEquals(1, m.streams.get());
    }
  }

  @Test
  void aStuckMasterFailsTheHeartbeatAtItsDeadlineAndTheNextOneOpensAFreshStream() throws Exception {
    Master m = new Master();
    ManagedChannel c = serve(m);
    try (HeartbeatStream hs = new HeartbeatStream(timer, DEADLINE)) {
      // Connected and answered first: a cold first call may not even reach the server by then.
      assertEquals(0, hs.send(c, beat(0)).get(10, TimeUnit.SECONDS).getSequence());
      m.answering.set(false);
      assertEquals(Status.Code.DEADLINE_EXCEEDED, failure(hs.send(c, beat(1))));
      m.answering.set(true);
      assertEquals(2, hs.send(c, beat(2)).get(10, TimeUnit.SECONDS).getSequence());
      assertEquals(2, m.streams.get(), "the stuck stream was given up");
    }
  }

  @Test
  void movingToAnotherMasterFailsWhatWaitsOnTheOldStreamAtOnce() throws Exception {
    Master silent = new Master();
    silent.answering.set(false);
    ManagedChannel a = serve(silent);
    ManagedChannel b = serve(new Master());
    try (HeartbeatStream hs = new HeartbeatStream(timer, Duration.ofSeconds(30))) {
      ListenableFuture<HeartbeatResponse> waiting = hs.send(a, beat(1));
      ListenableFuture<HeartbeatResponse> moved = hs.send(b, beat(2));
      assertEquals(Status.Code.CANCELLED, failure(waiting));
      assertEquals(2, moved.get(10, TimeUnit.SECONDS).getSequence());
    }
  }

  @Test
  void aStreamTheMasterEndsFailsWhatWaitsWithItsStatusAndIsReopened() throws Exception {
    Master m = new Master();
    m.answering.set(false);
    ManagedChannel c = serve(m);
    try (HeartbeatStream hs = new HeartbeatStream(timer, Duration.ofSeconds(30))) {
      ListenableFuture<HeartbeatResponse> waiting = hs.send(c, beat(1));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> m.last.get() != null);
      m.last.get().onError(Status.FAILED_PRECONDITION.withDescription("not leader").asException());
      assertEquals(Status.Code.FAILED_PRECONDITION, failure(waiting));
      m.answering.set(true);
      assertEquals(2, hs.send(c, beat(2)).get(10, TimeUnit.SECONDS).getSequence());
      assertEquals(2, m.streams.get());
    }
  }
}
