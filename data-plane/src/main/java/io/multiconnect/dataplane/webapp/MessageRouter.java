package io.multiconnect.dataplane.webapp;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.dataplane.Batcher;
import io.multiconnect.dataplane.RoutingTable;
import io.multiconnect.dataplane.ShardMapWatcher;
import io.multiconnect.proto.v1.CheckContactsRequest;
import io.multiconnect.proto.v1.CheckContactsResponse;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.SendMessagesRequest;
import io.multiconnect.proto.v1.SendMessagesResponse;
import io.multiconnect.proto.v1.SendResult;
import io.multiconnect.proto.v1.ShardAssignment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Routes a message to the primary of {@code shard_id = murmur3(to) % shards} over gRPC. When the
 * primary refuses (moved, lease lapsed) or does not answer, it waits for a newer routing table (at
 * most {@link #RETRY_PAUSE}) and tries again with the same message id, within a time budget; the
 * upstream de-duplicates by that id, so a retry never sends twice.
 *
 * <p>Messages for the same coreapp that arrive while a call to it is out wait and go together in
 * the next {@code SendMessages} call ({@link Batcher}); each is still answered, refused and retried
 * on its own. An idle router sends a message at once, alone.
 */
final class MessageRouter implements AutoCloseable {
  /** Deadline of one attempt at a coreapp. */
  static final Duration ATTEMPT_DEADLINE = Duration.ofSeconds(2);

  /** Most messages in one SendMessages call. */
  static final int MAX_BATCH = 256;

  /** SendMessages calls out to one coreapp at once; more messages wait for the next batch. */
  static final int MAX_IN_FLIGHT = 2;

  /** Longest pause between attempts; a newer table ends it at once. */
  static final Duration RETRY_PAUSE = Duration.ofMillis(25);

  sealed interface Outcome {
    record Sent(String id, int shard, long epoch) implements Outcome {}

    /** No primary took it within the budget; safe to retry with the same id. */
    record NoPrimary(int shard, String detail) implements Outcome {}
  }

  private final ShardMapWatcher watcher;
  private final NodeTls tls;

  /** Where a message waiting to be retried goes on (see {@link #retry}). */
  private final ScheduledExecutorService retryTimer =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("route-retry"));

  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong noPrimary = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong redirects = new AtomicLong();
  private final AtomicLong contactsNoPrimary = new AtomicLong();
  private final AtomicLong contactRetries = new AtomicLong();
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Map<String, Batcher<SendMessageRequest, SendResult>> batchers =
      new ConcurrentHashMap<>();

  MessageRouter(ShardMapWatcher watcher, NodeTls tls) {
    this.watcher = watcher;
    this.tls = tls;
  }

  /** A message being routed: what is sent, and when its budget runs out. */
  private record Message(String id, OutboundMessages.Outbound content, long deadline) {}

  /**
   * Routes one message within {@code budget}. Nothing blocks: the outcome completes where the
   * coreapp's answer arrives, or on the retry timer when the router waits for a newer table.
   */
  CompletableFuture<Outcome> send(
      String messageId, OutboundMessages.Outbound content, Duration budget) {
    return route(
        new Message(messageId, content, System.nanoTime() + budget.toNanos()), Optional.empty());
  }

  private CompletableFuture<Outcome> route(Message m, Optional<ShardAssignment> hint) {
    RoutingTable t = watcher.table();
    int shard = Sharding.shardOf(m.content().to(), t.shardCount());
    Optional<ShardAssignment> target =
        hint.filter(h -> h.getShard() == shard).or(() -> t.primaryOf(shard));
    if (target.isEmpty()) {
      return retry(m, t, shard, "shard " + shard + " has no primary", Optional.empty());
    }
    ShardAssignment p = target.get();
    return attempt(p, t.shardCount(), m)
        .handle(
            (result, error) -> {
              StatusRuntimeException refused =
                  error != null
                      ? Status.fromThrowable(unwrap(error)).asRuntimeException()
                      : result.hasRefusal() ? GrpcWire.refused(result.getRefusal()) : null;
              if (refused == null) {
                sent.incrementAndGet();
                return CompletableFuture.<Outcome>completedFuture(
                    new Outcome.Sent(result.getId(), shard, p.getEpoch()));
              }
              String problem = p.getCoreappId() + ": " + refused.getStatus().getDescription();
              return retry(m, t, shard, problem, redirect(refused, shard));
            })
        .thenCompose(outcome -> outcome);
  }

  /**
   * After a failed attempt with table {@code t}: gives up once the budget is spent, else waits for
   * a newer table (at most {@link #RETRY_PAUSE}) and routes again.
   */
  private CompletableFuture<Outcome> retry(
      Message m, RoutingTable t, int shard, String problem, Optional<ShardAssignment> hint) {
    if (System.nanoTime() - m.deadline() >= 0) {
      noPrimary.incrementAndGet();
      return CompletableFuture.completedFuture(new Outcome.NoPrimary(shard, problem));
    }
    retries.incrementAndGet();
    return watcher
        .newerThan(t.version(), RETRY_PAUSE, retryTimer)
        .thenCompose(newer -> route(m, hint));
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  /** The primary a refusing coreapp named, to try next without waiting for the table. */
  private Optional<ShardAssignment> redirect(StatusRuntimeException e, int shard) {
    Optional<GrpcWire.NamedPrimary> named = GrpcWire.namedPrimary(e);
    if (named.isEmpty()) {
      return Optional.empty();
    }
    redirects.incrementAndGet();
    return Optional.of(
        ShardAssignment.newBuilder()
            .setShard(shard)
            .setCoreappId("hinted")
            .setCoreappAddress(named.get().address())
            .setEpoch(named.get().epoch())
            .build());
  }

  /** One attempt at {@code p}: its result, a refusal included, or the call's failure. */
  private CompletableFuture<SendResult> attempt(ShardAssignment p, int shardCount, Message m) {
    SendMessageRequest request =
        SendMessageRequest.newBuilder()
            .setShard(p.getShard())
            .setShardCount(shardCount)
            .setEpoch(p.getEpoch())
            .setMessageId(m.id())
            .setTo(m.content().to())
            .setType(m.content().type())
            .setPayload(ByteString.copyFrom(m.content().payload()))
            .build();
    return batchers
        .computeIfAbsent(
            p.getCoreappId() + "@" + p.getCoreappAddress(),
            k -> batcher(p.getCoreappId(), p.getCoreappAddress()))
        .submit(request)
        // the call's own deadline answers first; this only bounds a wait for a batch to go out
        .orTimeout(2 * ATTEMPT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(
            e -> {
              throw unwrap(e) instanceof TimeoutException
                  ? Status.DEADLINE_EXCEEDED
                      .withDescription("no answer in time")
                      .asRuntimeException()
                  : new CompletionException(unwrap(e));
            });
  }

  /**
   * Sends the messages waiting for one coreapp in one SendMessages call, to the coreapp the shard
   * map names at that address and no other node.
   */
  private Batcher<SendMessageRequest, SendResult> batcher(String coreappId, String address) {
    CoreappGrpc.CoreappFutureStub stub = stub(coreappId, address);
    return new Batcher<>(
        batch ->
            completable(
                    stub.withDeadline(
                            Deadline.after(ATTEMPT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                        .sendMessages(
                            SendMessagesRequest.newBuilder().addAllMessages(batch).build()))
                .thenApply(SendMessagesResponse::getResultsList),
        MAX_BATCH,
        MAX_IN_FLIGHT);
  }

  /** A stub for the coreapp the shard map names at {@code address}, and no other node. */
  CoreappGrpc.CoreappFutureStub stub(String coreappId, String address) {
    ManagedChannel channel =
        channels.computeIfAbsent(
            coreappId + "@" + address,
            k ->
                Endpoints.channel(
                    address, tls, PeerCheck.node(NodeIdentity.Role.COREAPP, coreappId)));
    // answered on the transport's thread: the callbacks only complete futures
    return CoreappGrpc.newFutureStub(channel).withExecutor(MoreExecutors.directExecutor());
  }

  private static <T> CompletableFuture<T> completable(ListenableFuture<T> call) {
    CompletableFuture<T> out = new CompletableFuture<>();
    Futures.addCallback(
        call,
        new FutureCallback<T>() {
          @Override
          public void onSuccess(T value) {
            out.complete(value);
          }

          @Override
          public void onFailure(Throwable t) {
            out.completeExceptionally(t);
          }
        },
        MoreExecutors.directExecutor());
    return out;
  }

  /** A contacts check being routed: what is asked, and when its budget runs out. */
  private record ContactQuery(boolean forceCheck, boolean blocking, long deadline) {
    /** The deadline of an attempt now: {@link #ATTEMPT_DEADLINE}, within what is left. */
    long attemptNanos() {
      return Math.max(0, Math.min(ATTEMPT_DEADLINE.toNanos(), deadline - System.nanoTime()));
    }
  }

  /**
   * The statuses ({@code valid}, {@code invalid}, {@code processing}) of {@code waIds} by id, each
   * asked of its shard's primary; a shard whose primary refuses or does not answer is asked again
   * with a newer table, within {@code budget}. Fails with the API's "not ready" error after it.
   */
  CompletableFuture<Map<String, String>> contacts(
      List<String> waIds, boolean forceCheck, boolean blocking, Duration budget) {
    return contacts(
        new ContactQuery(forceCheck, blocking, System.nanoTime() + budget.toNanos()),
        waIds.stream().distinct().toList(),
        0);
  }

  private CompletableFuture<Map<String, String>> contacts(
      ContactQuery q, List<String> waIds, int attempt) {
    RoutingTable t = watcher.table();
    Map<Integer, List<String>> byShard =
        waIds.stream().collect(Collectors.groupingBy(id -> Sharding.shardOf(id, t.shardCount())));
    List<CompletableFuture<Map<String, String>>> parts =
        byShard.entrySet().stream()
            .map(e -> contactsOf(q, t, e.getKey(), e.getValue(), attempt))
            .toList();
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, String> all = new HashMap<>();
              parts.forEach(p -> all.putAll(p.join()));
              return all;
            });
  }

  /**
   * One attempt at the primary of {@code shard} for {@code waIds}; after a failure, the next waits
   * for a newer table at most {@link #RETRY_PAUSE} times 2 to the number of attempts so far (at
   * most 16 times), so a primary that keeps refusing is not asked a hundred times in the budget.
   */
  private CompletableFuture<Map<String, String>> contactsOf(
      ContactQuery q, RoutingTable t, int shard, List<String> waIds, int attempt) {
    Optional<ShardAssignment> p = t.primaryOf(shard);
    CompletableFuture<CheckContactsResponse> call =
        p.isEmpty()
            ? CompletableFuture.failedFuture(
                Status.UNAVAILABLE.withDescription("no primary").asRuntimeException())
            : completable(
                stub(p.get().getCoreappId(), p.get().getCoreappAddress())
                    .withDeadline(Deadline.after(q.attemptNanos(), TimeUnit.NANOSECONDS))
                    .checkContacts(
                        CheckContactsRequest.newBuilder()
                            .setShard(shard)
                            .setShardCount(t.shardCount())
                            .setEpoch(p.get().getEpoch())
                            .addAllWaIds(waIds)
                            .setForceCheck(q.forceCheck())
                            .setWait(q.blocking())
                            .build()));
    return call.handle(
            (r, error) -> {
              if (error == null && r.getStatusesCount() == waIds.size()) {
                Map<String, String> out = new HashMap<>();
                for (int i = 0; i < waIds.size(); i++) {
                  out.put(waIds.get(i), r.getStatuses(i));
                }
                return CompletableFuture.completedFuture(out);
              }
              if (System.nanoTime() - q.deadline() >= 0) {
                contactsNoPrimary.incrementAndGet();
                throw ApiError.notReady(
                        "shard "
                            + shard
                            + " has no reachable primary right now ("
                            + (error == null
                                ? "a wrong number of answers"
                                : Status.fromThrowable(unwrap(error)).getDescription())
                            + "); retry")
                    .failure();
              }
              contactRetries.incrementAndGet();
              return watcher
                  .newerThan(
                      t.version(), RETRY_PAUSE.multipliedBy(1L << Math.min(attempt, 4)), retryTimer)
                  .thenCompose(newer -> contacts(q, waIds, attempt + 1));
            })
        .thenCompose(outcome -> outcome);
  }

  /** Messages coreapps accepted through this webapp. */
  long sent() {
    return sent.get();
  }

  /** The router's counters, as {@code multiconnect_webapp_<name>_total}. */
  void bindTo(MeterRegistry registry) {
    counter(registry, "messages_sent", "Messages a coreapp accepted", sent::get);
    counter(registry, "messages_no_primary", "Messages refused: no primary", noPrimary::get);
    counter(registry, "route_retries", "Sends retried on a newer routing table", retries::get);
    counter(registry, "route_redirects", "Sends redirected by a coreapp's hint", redirects::get);
    counter(
        registry,
        "contacts_no_primary",
        "Contacts checks refused: no primary",
        contactsNoPrimary::get);
    counter(registry, "contacts_retries", "Contacts checks retried", contactRetries::get);
    counter(
        registry,
        "send_calls",
        "SendMessages calls to coreapps",
        () -> batchers.values().stream().mapToLong(Batcher::calls).sum());
    counter(
        registry,
        "send_call_messages",
        "Messages those calls carried (their ratio is the mean batch size)",
        () -> batchers.values().stream().mapToLong(Batcher::items).sum());
  }

  private static void counter(
      MeterRegistry registry, String name, String help, LongSupplier value) {
    FunctionCounter.builder("multiconnect_webapp_" + name, value, LongSupplier::getAsLong)
        .description(help)
        .register(registry);
  }

  @Override
  public void close() {
    retryTimer.shutdownNow();
    Endpoints.shutdown(new ArrayList<>(channels.values()));
  }
}
