package io.multiconnect.common.net;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.RegisterResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bytes that are no request, over real gRPC on loopback, with and without the wrapper. */
class StrictRequestsTest {
  /** Field 1 with wire type 7, which does not exist: no message parses from it. */
  private static final byte[] GARBAGE = {0x0f, 0x01};

  private final NodeTls tls = NodeTls.plaintext("StrictRequestsTest");
  private final AtomicInteger registers = new AtomicInteger();
  private final List<HeartbeatRequest> heartbeats = new CopyOnWriteArrayList<>();
  private final AtomicReference<ServerCallStreamObserver<HeartbeatResponse>> stream =
      new AtomicReference<>();
  private Server server;
  private ManagedChannel channel;

  private final class Service extends ControlPlaneGrpc.ControlPlaneImplBase {
    @Override
    public void register(RegisterRequest request, StreamObserver<RegisterResponse> out) {
      registers.incrementAndGet();
      if (request.getCoreappId().length() > 64) {
        out.onError(
            Status.INVALID_ARGUMENT
                .withDescription("no such coreapp: " + request.getCoreappId())
                .asRuntimeException());
        return;
      }
      out.onNext(RegisterResponse.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public StreamObserver<HeartbeatRequest> heartbeatStream(StreamObserver<HeartbeatResponse> out) {
      stream.set((ServerCallStreamObserver<HeartbeatResponse>) out);
      return new StreamObserver<>() {
        @Override
        public void onNext(HeartbeatRequest r) {
          heartbeats.add(r);
          out.onNext(HeartbeatResponse.getDefaultInstance());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }
  }

  private void serve(ServerServiceDefinition service) throws IOException {
    server = Endpoints.server("127.0.0.1", 0, tls).addService(service).build().start();
    channel = Endpoints.channel("127.0.0.1:" + server.getPort(), tls, PeerCheck.anyNode());
  }

  @AfterEach
  void stop() {
    Endpoints.shutdown(List.of(channel));
    server.shutdownNow();
  }

  @Test
  void aRequestThatDoesNotParseIsInvalidAndNeverReachesTheHandler() throws IOException {
    serve(StrictRequests.of(new Service()));
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> unary(GARBAGE));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    assertTrue(
        refused.getStatus().getDescription().startsWith("the request does not parse: "),
        refused.getStatus().getDescription());
    assertEquals(0, registers.get());
    unary(RegisterRequest.newBuilder().setCoreappId("c1").build().toByteArray());
    assertEquals(1, registers.get(), "a request that parses is served as before");
  }

  @Test
  void aReasonQuotingALongRequestIsClippedToFitTheClientsHeaderLimit() throws IOException {
    serve(StrictRequests.of(new Service()));
    byte[] longId =
        RegisterRequest.newBuilder().setCoreappId("x".repeat(100_000)).build().toByteArray();
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> unary(longId));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    assertEquals(
        StrictRequests.MAX_DESCRIPTION_CHARS + 3, refused.getStatus().getDescription().length());
    stop();
    serve(new Service().bindService());
    StatusRuntimeException unclipped =
        assertThrows(StatusRuntimeException.class, () -> unary(longId));
    assertEquals(Status.Code.INTERNAL, unclipped.getStatus().getCode(), "the reason is lost");
  }

  @Test
  void withoutItGrpcAnswersUnknownAsForABug() throws IOException {
    serve(new Service().bindService());
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> unary(GARBAGE));
    assertEquals(Status.Code.UNKNOWN, refused.getStatus().getCode());
  }

  @Test
  void onAStreamTheFirstBadMessageEndsTheCallAndLaterSendsAreDropped() throws Exception {
    serve(StrictRequests.of(new Service()));
    LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<byte[]> out =
        ClientCalls.asyncBidiStreamingCall(
            channel.newCall(raw(ControlPlaneGrpc.getHeartbeatStreamMethod()), CallOptions.DEFAULT),
            new StreamObserver<>() {
              @Override
              public void onNext(byte[] value) {
                answers.add("answer");
              }

              @Override
              public void onError(Throwable t) {
                answers.add(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                answers.add("completed");
              }
            });
    out.onNext(HeartbeatRequest.newBuilder().setCoreappId("c1").build().toByteArray());
    assertEquals("answer", answers.poll(10, TimeUnit.SECONDS));
    out.onNext(GARBAGE);
    Status status = (Status) answers.poll(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertEquals(1, heartbeats.size());
    await().atMost(Duration.ofSeconds(10)).until(() -> stream.get().isCancelled());
    stream.get().onNext(HeartbeatResponse.getDefaultInstance()); // dropped: the call is over
  }

  private void unary(byte[] request) {
    ClientCalls.blockingUnaryCall(
        channel,
        raw(ControlPlaneGrpc.getRegisterMethod()),
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
        request);
  }

  private static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
    return method.toBuilder(BYTES, BYTES).build();
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
}
