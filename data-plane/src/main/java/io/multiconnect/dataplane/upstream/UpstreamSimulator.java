package io.multiconnect.dataplane.upstream;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.multiconnect.master.Shutdown;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.SessionAccepted;
import io.multiconnect.proto.v1.upstream.SessionClosed;
import io.multiconnect.proto.v1.upstream.SessionEvent;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import io.multiconnect.proto.v1.upstream.UpstreamSendRequest;
import io.multiconnect.proto.v1.upstream.UpstreamSendResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in for the WhatsApp servers: a gRPC server whose sessions live as long as their stream. A
 * session's holder that dies or freezes is noticed through HTTP/2 keepalive pings, as a real server
 * notices a silent client; its session then closes. Runs in-process for tests or as its own process
 * ({@link #main}).
 */
public final class UpstreamSimulator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamSimulator.class);

  private final UpstreamState state = new UpstreamState(Clock.systemUTC());
  private final Server server;

  public UpstreamSimulator(String host, int port) {
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .addService(new Service())
            .addService(new HealthStatusManager().getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            // A frozen session holder stops answering pings: close its session within ~2 s.
            .keepAliveTime(1, TimeUnit.SECONDS)
            .keepAliveTimeout(1, TimeUnit.SECONDS)
            .permitKeepAliveTime(500, TimeUnit.MILLISECONDS)
            .build();
  }

  public UpstreamSimulator start() throws IOException {
    server.start();
    LOG.info("upstream simulator listening on port {}", server.getPort());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  public long bans() {
    return state.bans();
  }

  public long acceptedMessages() {
    return state.acceptedMessages();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Service extends UpstreamGrpc.UpstreamImplBase {
    @Override
    public void openSession(OpenSessionRequest r, StreamObserver<SessionEvent> out) {
      ServerCallStreamObserver<SessionEvent> call = (ServerCallStreamObserver<SessionEvent>) out;
      Object lock = new Object();
      UpstreamState.OpenResult result =
          state.open(
              r.getCoreappId(),
              r.getShard(),
              r.getShardCount(),
              r.getEpoch(),
              reason -> {
                synchronized (lock) {
                  call.onNext(
                      SessionEvent.newBuilder()
                          .setClosed(SessionClosed.newBuilder().setReason(reason))
                          .build());
                  call.onCompleted();
                }
              });
      if (result instanceof UpstreamState.OpenResult.Refused refused) {
        call.onError(
            Status.FAILED_PRECONDITION.withDescription(refused.reason()).asRuntimeException());
        return;
      }
      String id = ((UpstreamState.OpenResult.Accepted) result).sessionId();
      call.setOnCancelHandler(() -> state.close(id, "holder disconnected"));
      synchronized (lock) {
        call.onNext(
            SessionEvent.newBuilder()
                .setAccepted(SessionAccepted.newBuilder().setSessionId(id))
                .build());
      }
    }

    @Override
    public void send(UpstreamSendRequest r, StreamObserver<UpstreamSendResponse> out) {
      UpstreamState.SendResult result =
          state.send(r.getSessionId(), r.getEpoch(), r.getClientMessageId(), r.getTo());
      if (result instanceof UpstreamState.SendResult.Accepted a) {
        out.onNext(
            UpstreamSendResponse.newBuilder()
                .setMessageId(a.messageId())
                .setDuplicate(a.duplicate())
                .build());
        out.onCompleted();
      } else {
        out.onError(
            Status.FAILED_PRECONDITION
                .withDescription(((UpstreamState.SendResult.Refused) result).reason())
                .asRuntimeException());
      }
    }

    @Override
    public void getReport(ReportRequest r, StreamObserver<Report> out) {
      out.onNext(
          Report.newBuilder()
              .setBans(state.bans())
              .setAcceptedMessages(state.acceptedMessages())
              .addAllEvents(state.eventsAfter(r.getAfterSequence()))
              .build());
      out.onCompleted();
    }
  }

  /** {@code UpstreamSimulator [--host H] [--port P]}; stops on SIGTERM. */
  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 9800;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--host" -> host = args[i + 1];
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        default -> {
          System.err.println("usage: upstream [--host H] [--port P]");
          System.exit(2);
        }
      }
    }
    UpstreamSimulator sim = new UpstreamSimulator(host, port).start();
    Shutdown.closeOnSignal(sim);
  }
}
