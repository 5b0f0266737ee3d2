package io.multiconnect.dataplane.upstream;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.net.StrictRequests;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.node.Shutdown;
import io.multiconnect.common.shard.WaIds;
import io.multiconnect.common.tls.CallerRules;
import io.multiconnect.common.tls.NodeIdentity.Role;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.proto.v1.upstream.AcceptedMessage;
import io.multiconnect.proto.v1.upstream.AcceptedMessageRequest;
import io.multiconnect.proto.v1.upstream.AcknowledgeRequest;
import io.multiconnect.proto.v1.upstream.InboundEvent;
import io.multiconnect.proto.v1.upstream.InboundEvents;
import io.multiconnect.proto.v1.upstream.InjectInboundRequest;
import io.multiconnect.proto.v1.upstream.InjectInboundResponse;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.SessionAccepted;
import io.multiconnect.proto.v1.upstream.SessionAck;
import io.multiconnect.proto.v1.upstream.SessionClosed;
import io.multiconnect.proto.v1.upstream.SessionEvent;
import io.multiconnect.proto.v1.upstream.SessionRef;
import io.multiconnect.proto.v1.upstream.UpstreamContactsRequest;
import io.multiconnect.proto.v1.upstream.UpstreamContactsResponse;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import io.multiconnect.proto.v1.upstream.UpstreamSendBatch;
import io.multiconnect.proto.v1.upstream.UpstreamSendRequest;
import io.multiconnect.proto.v1.upstream.UpstreamSendResponse;
import io.multiconnect.proto.v1.upstream.UpstreamSendResult;
import io.multiconnect.proto.v1.upstream.UpstreamSendResults;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in for the WhatsApp servers: a gRPC server whose sessions live as long as their stream and
 * their holder is heard from. A holder that dies, freezes or is cut off falls silent, and its
 * session is closed after the silence timeout, as a real server drops a client it no longer hears
 * (HTTP/2 keepalive alone did not do that reliably: the chaos harness found a session of an
 * isolated holder still open 8 s later). Runs in-process for tests or as its own process ({@link
 * #main}).
 */
public final class UpstreamSimulator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamSimulator.class);

  /**
   * How long a session's holder may stay silent before the server drops its session. With {@link
   * #DEFAULT_DROP_SLACK}, the longest a session outlives its holder's last call; coreapps stop
   * acting at least that long before their lease ends ({@code MC_UPSTREAM_SILENCE_MS}), so the sum
   * must not exceed theirs.
   */
  public static final Duration DEFAULT_SILENCE = Duration.ofMillis(300);

  /** How late after the silence timeout the server may drop a session (it drops lazily). */
  public static final Duration DEFAULT_DROP_SLACK = Duration.ofMillis(100);

  /** How many of the newest log events are kept unless {@code --max-events} says otherwise. */
  public static final int DEFAULT_MAX_EVENTS = 500_000;

  /** The most events one GetReport answer carries. */
  static final int REPORT_PAGE = 10_000;

  /** How many inbound events a session holds unacknowledged at most. */
  static final int WINDOW = 256;

  /** The most inbound messages one InjectInbound call makes. */
  static final int MAX_INJECT = 10_000;

  /** How often silent sessions are dropped, due statuses released and sessions given events. */
  private static final Duration SWEEP = Duration.ofMillis(20);

  private final UpstreamState state;

  /** How to hand inbound events to each open session's stream. */
  private final Map<String, Consumer<List<InboundEvent>>> deliverers = new ConcurrentHashMap<>();

  private final Server server;
  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("upstream-sweeper"));

  public UpstreamSimulator(String host, int port, NodeTls tls) {
    this(host, port, DEFAULT_SILENCE, DEFAULT_DROP_SLACK, false, DEFAULT_MAX_EVENTS, tls);
  }

  /**
   * @param silence how long a holder may be silent before its session is dropped
   * @param dropSlack how much later than that the drop may happen
   * @param fencing refuse an open with a stale epoch instead of banning (kinder than the real
   *     server; only to show the difference)
   * @param maxEvents how many of the newest log events are kept
   * @param tls coreapps open sessions under their own id only; admin tools read the report
   */
  public UpstreamSimulator(
      String host,
      int port,
      Duration silence,
      Duration dropSlack,
      boolean fencing,
      int maxEvents,
      NodeTls tls) {
    this.state =
        new UpstreamState(
            Clock.systemUTC(),
            System::nanoTime,
            new UpstreamState.Rules(silence, dropSlack, fencing),
            maxEvents);
    if (fencing) {
      LOG.warn(
          "upstream simulator fences stale epochs: kinder than the real server, which bans any"
              + " second live session whatever its epoch; use it only to show the difference");
    }
    this.server =
        Endpoints.server(host, port, tls)
            // on the transport's threads: every call is answered from memory, without blocking
            .directExecutor()
            .addService(StrictRequests.of(new Service()))
            .addService(new HealthStatusManager().getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .intercept(CALLERS.interceptor(tls))
            // Dead connections go away; sessions end by the silence timeout regardless.
            .keepAliveTime(10, TimeUnit.SECONDS)
            .keepAliveTimeout(1, TimeUnit.SECONDS)
            .build();
  }

  public UpstreamSimulator start() throws IOException {
    server.start();
    sweeper.scheduleWithFixedDelay(
        () -> {
          state.dropSilent();
          state.releaseDueStatuses();
          deliverers.keySet().forEach(this::pump);
        },
        SWEEP.toMillis(),
        SWEEP.toMillis(),
        TimeUnit.MILLISECONDS);
    LOG.info("upstream simulator listening on port {}", server.getPort());
    return this;
  }

  /**
   * Whether the simulated network cannot deliver to {@code waId}: it answers a message to it with
   * one {@code failed} status instead of {@code sent}, {@code delivered} and {@code read}.
   */
  public static boolean undeliverable(String waId) {
    return WebhookItems.undeliverable(waId);
  }

  /**
   * Hands a session the events waiting for its recipients, up to {@link #WINDOW} unacknowledged on
   * it at once.
   */
  private void pump(String sessionId) {
    Consumer<List<InboundEvent>> deliver = deliverers.get(sessionId);
    int room = WINDOW - state.inbox().inFlightOn(sessionId);
    if (deliver != null && room > 0) {
      List<InboundEvent> events = state.take(sessionId, room);
      if (!events.isEmpty()) {
        deliver.accept(events);
      }
    }
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
    sweeper.shutdownNow();
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Coreapps hold sessions, send and acknowledge; admin tools (the harness, an operator) read the
   * report and the messages and write inbound messages. Neither may do the other's part.
   */
  private static final CallerRules CALLERS =
      new CallerRules()
          .allow(UpstreamGrpc.getOpenSessionMethod(), Role.COREAPP)
          .allow(UpstreamGrpc.getSendMethod(), Role.COREAPP)
          .allow(UpstreamGrpc.getSendBatchMethod(), Role.COREAPP)
          .allow(UpstreamGrpc.getKeepAliveMethod(), Role.COREAPP)
          .allow(UpstreamGrpc.getCloseSessionMethod(), Role.COREAPP)
          .allow(UpstreamGrpc.getAcknowledgeMethod(), Role.COREAPP)
          .allow(UpstreamGrpc.getCheckContactsMethod(), Role.COREAPP)
          .allow(UpstreamGrpc.getGetReportMethod(), Role.ADMIN)
          .allow(UpstreamGrpc.getGetAcceptedMessageMethod(), Role.ADMIN)
          .allow(UpstreamGrpc.getInjectInboundMethod(), Role.ADMIN)
          .allowHealthAndReflection();

  private final class Service extends UpstreamGrpc.UpstreamImplBase {
    @Override
    public void openSession(OpenSessionRequest r, StreamObserver<SessionEvent> out) {
      ServerCallStreamObserver<SessionEvent> call = (ServerCallStreamObserver<SessionEvent>) out;
      if (r.getCoreappId().isEmpty() || r.getIncarnation().isEmpty()) {
        call.onError(
            Status.INVALID_ARGUMENT
                .withDescription("coreapp_id and incarnation are required")
                .asRuntimeException());
        return;
      }
      try {
        CallerRules.requireSelf(Role.COREAPP, r.getCoreappId());
      } catch (StatusRuntimeException e) {
        call.onError(e);
        return;
      }
      Object lock = new Object();
      AtomicReference<String> opened = new AtomicReference<>();
      AtomicBoolean closed = new AtomicBoolean();
      UpstreamState.OpenResult result =
          state.open(
              new UpstreamState.Holder(r.getCoreappId(), r.getIncarnation()),
              r.getShard(),
              r.getShardCount(),
              r.getEpoch(),
              reason -> {
                synchronized (lock) {
                  closed.set(true);
                  Optional.ofNullable(opened.get()).ifPresent(deliverers::remove);
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
      opened.set(id);
      call.setOnCancelHandler(
          () -> {
            deliverers.remove(id);
            state.close(id, "holder disconnected");
          });
      synchronized (lock) {
        call.onNext(
            SessionEvent.newBuilder()
                .setAccepted(SessionAccepted.newBuilder().setSessionId(id))
                .build());
        // Events taken for a session that closed meanwhile wait again: the close put them back.
        deliverers.put(
            id,
            events -> {
              synchronized (lock) {
                if (!closed.get() && !call.isCancelled()) {
                  call.onNext(
                      SessionEvent.newBuilder()
                          .setInbound(InboundEvents.newBuilder().addAllEvents(events))
                          .build());
                }
              }
            });
      }
      pump(id);
    }

    /**
     * Whether the call was refused ({@code PERMISSION_DENIED}) because it names a session another
     * coreapp holds: a coreapp sends on, keeps alive and closes only its own sessions.
     */
    private boolean notTheHolder(String sessionId, StreamObserver<?> out) {
      Optional<String> holder = state.holderOf(sessionId);
      try {
        if (holder.isPresent()) {
          CallerRules.requireSelf(Role.COREAPP, holder.get());
        }
        return false;
      } catch (StatusRuntimeException e) {
        out.onError(e);
        return true;
      }
    }

    @Override
    public void send(UpstreamSendRequest r, StreamObserver<UpstreamSendResponse> out) {
      if (notTheHolder(r.getSessionId(), out)) {
        return;
      }
      UpstreamSendResult result = sendOne(r);
      if (result.hasSent()) {
        out.onNext(result.getSent());
        out.onCompleted();
      } else {
        out.onError(
            Status.FAILED_PRECONDITION.withDescription(result.getRefused()).asRuntimeException());
      }
    }

    @Override
    public void sendBatch(UpstreamSendBatch r, StreamObserver<UpstreamSendResults> out) {
      for (UpstreamSendRequest m : r.getMessagesList()) {
        if (notTheHolder(m.getSessionId(), out)) {
          return;
        }
      }
      UpstreamSendResults.Builder results = UpstreamSendResults.newBuilder();
      r.getMessagesList().forEach(m -> results.addResults(sendOne(m)));
      out.onNext(results.build());
      out.onCompleted();
      r.getMessagesList().stream()
          .map(UpstreamSendRequest::getSessionId)
          .distinct()
          .forEach(UpstreamSimulator.this::pump);
    }

    @Override
    public void acknowledge(AcknowledgeRequest r, StreamObserver<SessionAck> out) {
      if (notTheHolder(r.getSessionId(), out)) {
        return;
      }
      state.inbox().acknowledge(r.getSessionId(), r.getEventIdsList());
      out.onNext(SessionAck.getDefaultInstance());
      out.onCompleted();
      pump(r.getSessionId());
    }

    @Override
    public void injectInbound(InjectInboundRequest r, StreamObserver<InjectInboundResponse> out) {
      Optional<String> from = WaIds.normalize(r.getFrom());
      int count = r.getCount() == 0 ? 1 : r.getCount();
      String problem =
          from.isEmpty()
              ? "from: a WhatsApp id of 5-20 digits"
              : r.getText().isEmpty() || r.getText().length() > 4096
                  ? "text: 1-4096 characters"
                  : count > MAX_INJECT ? "count: at most " + MAX_INJECT : null;
      if (problem != null) {
        out.onError(Status.INVALID_ARGUMENT.withDescription(problem).asRuntimeException());
        return;
      }
      List<UpstreamState.Injected> made =
          state.inject(
              from.get(),
              r.getText(),
              count,
              r.getName().isEmpty() ? "WhatsApp user" : r.getName());
      out.onNext(
          InjectInboundResponse.newBuilder()
              .addAllEventIds(made.stream().map(m -> m.event().getEventId()).toList())
              .addAllMessageIds(made.stream().map(UpstreamState.Injected::messageId).toList())
              .build());
      out.onCompleted();
      state.sessionsCovering(from.get()).forEach(sess -> pump(sess.id()));
    }

    private UpstreamSendResult sendOne(UpstreamSendRequest r) {
      UpstreamState.SendResult result =
          state.send(
              r.getSessionId(),
              r.getEpoch(),
              new UpstreamState.Outgoing(
                  r.getClientMessageId(), r.getTo(), r.getType(), r.getPayload()));
      if (result instanceof UpstreamState.SendResult.Accepted a) {
        return UpstreamSendResult.newBuilder()
            .setSent(
                UpstreamSendResponse.newBuilder()
                    .setMessageId(a.messageId())
                    .setDuplicate(a.duplicate()))
            .build();
      }
      return UpstreamSendResult.newBuilder()
          .setRefused(((UpstreamState.SendResult.Refused) result).reason())
          .build();
    }

    @Override
    public void checkContacts(
        UpstreamContactsRequest r, StreamObserver<UpstreamContactsResponse> out) {
      if (notTheHolder(r.getSessionId(), out)) {
        return;
      }
      if (r.getWaIdsCount() > WaIds.MAX_PER_CHECK) {
        out.onError(
            Status.INVALID_ARGUMENT
                .withDescription("at most " + WaIds.MAX_PER_CHECK + " WhatsApp ids a call")
                .asRuntimeException());
        return;
      }
      UpstreamState.ContactsResult result =
          state.contacts(r.getSessionId(), r.getEpoch(), r.getWaIdsList());
      if (result instanceof UpstreamState.ContactsResult.Answered a) {
        out.onNext(UpstreamContactsResponse.newBuilder().addAllOnWhatsapp(a.onWhatsApp()).build());
        out.onCompleted();
      } else {
        out.onError(
            Status.FAILED_PRECONDITION
                .withDescription(((UpstreamState.ContactsResult.Refused) result).reason())
                .asRuntimeException());
      }
    }

    @Override
    public StreamObserver<SessionRef> keepAlive(StreamObserver<SessionAck> out) {
      return new StreamObserver<>() {
        private boolean ended;

        @Override
        public void onNext(SessionRef r) {
          if (ended || notTheHolder(r.getSessionId(), out)) {
            ended = true;
            return;
          }
          if (!state.keepAlive(r.getSessionId(), r.getEpoch())) {
            ended = true;
            out.onError(
                Status.FAILED_PRECONDITION
                    .withDescription(
                        "no open session " + r.getSessionId() + " at epoch " + r.getEpoch())
                    .asRuntimeException());
          }
        }

        @Override
        public void onError(Throwable t) {
          ended = true; // the holder went away or reset its connection
        }

        @Override
        public void onCompleted() {
          if (!ended) {
            ended = true;
            out.onNext(SessionAck.getDefaultInstance());
            out.onCompleted();
          }
        }
      };
    }

    @Override
    public void closeSession(SessionRef r, StreamObserver<SessionAck> out) {
      if (notTheHolder(r.getSessionId(), out)) {
        return;
      }
      state.close(r.getSessionId(), "closed by its holder");
      out.onNext(SessionAck.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public void getReport(ReportRequest r, StreamObserver<Report> out) {
      int limit = r.getMaxEvents() == 0 ? REPORT_PAGE : Math.min(r.getMaxEvents(), REPORT_PAGE);
      UpstreamState.Page page = state.eventsAfter(r.getAfterSequence(), limit);
      Inbox.Counts inbound = state.inbox().counts();
      out.onNext(
          Report.newBuilder()
              .setBans(state.bans())
              .setAcceptedMessages(state.acceptedMessages())
              .setDuplicates(state.duplicates())
              .addAllLiveSessions(state.liveSessions())
              .setSilenceMs(state.rules().silence().toMillis())
              .setDropSlackMs(state.rules().dropSlack().toMillis())
              .setFencing(state.rules().fencing())
              .setInboundGenerated(inbound.generated())
              .setInboundAcknowledged(inbound.acknowledged())
              .setInboundRedelivered(inbound.redelivered())
              .setInboundDropped(inbound.dropped())
              .setInboundPending(inbound.pending() + state.scheduledStatuses())
              .addAllEvents(page.events())
              .setMore(page.more())
              .setFirstSequence(page.firstSequence())
              .build());
      out.onCompleted();
    }

    @Override
    public void getAcceptedMessage(AcceptedMessageRequest r, StreamObserver<AcceptedMessage> out) {
      Optional<AcceptedMessage> m = state.accepted(r.getMessageId());
      if (m.isPresent()) {
        out.onNext(m.get());
        out.onCompleted();
      } else {
        out.onError(
            Status.NOT_FOUND
                .withDescription(
                    "no message "
                        + r.getMessageId()
                        + " among the newest "
                        + UpstreamState.KEPT_MESSAGES
                        + " accepted")
                .asRuntimeException());
      }
    }
  }

  /**
   * {@code UpstreamSimulator [--host H] [--port P] [--silence-ms MS] [--drop-slack-ms MS]
   * [--max-events N] [--fencing]}; stops on SIGTERM.
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("report")) {
      System.exit(
          UpstreamReport.run(
              Arrays.copyOfRange(args, 1, args.length), System.getenv(), System.out));
    }
    if (args.length > 0 && args[0].equals("inbound")) {
      System.exit(
          UpstreamInbound.run(
              Arrays.copyOfRange(args, 1, args.length), System.getenv(), System.out));
    }
    String usage =
        "usage: upstream [--host H] [--port P] [--silence-ms MS] [--drop-slack-ms MS]"
            + " [--max-events N] [--fencing]";
    String host = "127.0.0.1";
    int port = 9800;
    Duration silence = DEFAULT_SILENCE;
    Duration dropSlack = DEFAULT_DROP_SLACK;
    boolean fencing = false;
    int maxEvents = DEFAULT_MAX_EVENTS;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--fencing")) {
        fencing = true;
        continue;
      }
      if (i + 1 >= args.length) {
        System.err.println(usage);
        System.exit(2);
      }
      String value = args[++i];
      switch (args[i - 1]) {
        case "--host" -> host = value;
        case "--port" -> port = Integer.parseInt(value);
        case "--silence-ms" -> silence = Duration.ofMillis(Long.parseLong(value));
        case "--drop-slack-ms" -> dropSlack = Duration.ofMillis(Long.parseLong(value));
        case "--max-events" -> maxEvents = Integer.parseInt(value);
        default -> {
          System.err.println(usage);
          System.exit(2);
        }
      }
    }
    UpstreamSimulator sim =
        new UpstreamSimulator(
                host,
                port,
                silence,
                dropSlack,
                fencing,
                maxEvents,
                NodeTls.fromEnv(System.getenv(), "upstream simulator"))
            .start();
    Shutdown.closeOnSignal(sim);
  }
}
