package io.multiconnect.dataplane.coreapp;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Status;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.dataplane.RoutingTable;
import io.multiconnect.dataplane.ShardMapWatcher;
import io.multiconnect.proto.v1.Refusal;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.SendResult;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.upstream.UpstreamSendBatch;
import io.multiconnect.proto.v1.upstream.UpstreamSendRequest;
import io.multiconnect.proto.v1.upstream.UpstreamSendResult;
import io.multiconnect.proto.v1.upstream.UpstreamSendResults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A coreapp's side of SendMessage and SendMessages: each message is checked against the snapshot
 * the coreapp's loop published (its shard, its exact epoch, a connected session, a recipient of
 * that shard); then the lease is checked once, immediately before the accepted messages go to the
 * upstream together in one call. The answer has one result per message, in order; a refused message
 * says why, as SendMessage would fail (docs/api.md).
 *
 * <p>A message that arrives for the shard and epoch the routing table already gives this coreapp,
 * before its lease or upstream session is there (the webapp learns of a move about when this
 * coreapp does), is held until the coreapp publishes its next state, for at most {@link #HOLD}, and
 * then checked as if it had just arrived: the webapp's retry is not needed, nothing is sent sooner
 * than it could be.
 */
final class MessageSends {
  /** Deadline of one call to the upstream, unless the acting deadline comes first. */
  static final Duration SEND_DEADLINE = Duration.ofSeconds(2);

  /** Longest a message for the epoch this coreapp is being given waits for it to act. */
  static final Duration HOLD = Duration.ofMillis(250);

  private final String coreappId;
  private final NodeClock clock;
  private final Supplier<Acting> active;
  private final ShardMapWatcher shardMap; // names the current primary; says which epoch is coming
  private final ScheduledExecutorService timer;
  private final List<Held> held = new ArrayList<>(); // guarded by itself

  MessageSends(
      String coreappId,
      NodeClock clock,
      Supplier<Acting> active,
      ShardMapWatcher shardMap,
      ScheduledExecutorService timer) {
    this.coreappId = coreappId;
    this.clock = clock;
    this.active = active;
    this.shardMap = shardMap;
    this.timer = timer;
  }

  /** Answers {@code done} with one result per message, in order, once the upstream answered. */
  void send(List<SendMessageRequest> messages, Consumer<List<SendResult>> done) {
    send(messages, done, clock.nanoTime() + HOLD.toNanos());
  }

  /** The coreapp published a new state: every held message is checked again, at once. */
  void activeChanged() {
    List<Held> now;
    synchronized (held) {
      now = List.copyOf(held);
      held.clear();
    }
    now.forEach(Held::run);
  }

  /** Messages waiting for this coreapp to act; run once, by the next publish or at the deadline. */
  private final class Held implements Runnable {
    private final AtomicBoolean ran = new AtomicBoolean();
    private final Runnable retry;

    Held(Runnable retry) {
      this.retry = retry;
    }

    @Override
    public void run() {
      if (ran.compareAndSet(false, true)) {
        synchronized (held) {
          held.remove(this);
        }
        retry.run();
      }
    }
  }

  private void send(
      List<SendMessageRequest> messages, Consumer<List<SendResult>> done, long holdUntil) {
    Acting a = active.get();
    long wait = holdUntil - clock.nanoTime();
    if (wait > 0 && messages.stream().anyMatch(r -> arriving(a, r))) {
      Held h = new Held(() -> send(messages, done, holdUntil));
      synchronized (held) {
        held.add(h);
      }
      try {
        timer.schedule(h, wait, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException stopping) {
        h.run(); // checked now, refused as usual
        return;
      }
      if (active.get() != a) {
        h.run(); // published while it was being held
      }
      return;
    }
    SendResult[] results = new SendResult[messages.size()];
    List<Integer> accepted = new ArrayList<>(messages.size());
    UpstreamSendBatch.Builder batch = UpstreamSendBatch.newBuilder();
    for (int i = 0; i < messages.size(); i++) {
      SendMessageRequest r = messages.get(i);
      Optional<Refusal> refusal = check(a, r);
      if (refusal.isPresent()) {
        results[i] = SendResult.newBuilder().setRefusal(refusal.get()).build();
      } else {
        accepted.add(i);
        batch.addMessages(
            UpstreamSendRequest.newBuilder()
                .setSessionId(a.sessionId())
                .setEpoch(a.epoch())
                .setClientMessageId(r.getMessageId())
                .setTo(r.getTo())
                .setType(r.getType())
                .setPayload(r.getPayload()));
      }
    }
    if (accepted.isEmpty()) {
      done.accept(Arrays.asList(results));
      return;
    }
    // The lease, checked immediately before the messages leave (docs/safety.md, assumption 5).
    if (!a.mayActAt(clock.nanoTime())) {
      Refusal lapsed = notPrimary(a.shard(), a.epoch());
      accepted.forEach(i -> results[i] = SendResult.newBuilder().setRefusal(lapsed).build());
      done.accept(Arrays.asList(results));
      return;
    }
    Futures.addCallback(
        a.upstream(clock.nanoTime(), SEND_DEADLINE).sendBatch(batch.build()),
        new FutureCallback<UpstreamSendResults>() {
          @Override
          public void onSuccess(UpstreamSendResults sent) {
            for (int k = 0; k < accepted.size(); k++) {
              UpstreamSendResult u =
                  k < sent.getResultsCount()
                      ? sent.getResults(k)
                      : UpstreamSendResult.newBuilder()
                          .setRefused("the upstream answered no result for this message")
                          .build();
              results[accepted.get(k)] =
                  u.hasSent()
                      ? SendResult.newBuilder().setId(u.getSent().getMessageId()).build()
                      : unavailable("upstream refused: " + u.getRefused());
            }
            done.accept(Arrays.asList(results));
          }

          @Override
          public void onFailure(Throwable t) {
            SendResult failed =
                unavailable("upstream refused or unreachable: " + Status.fromThrowable(t));
            accepted.forEach(i -> results[i] = failed);
            done.accept(Arrays.asList(results));
          }
        },
        MoreExecutors.directExecutor());
  }

  /**
   * The routing table gives this coreapp the message's shard and epoch, and this coreapp does not
   * act on them yet (its heartbeat's answer or its upstream session is on the way).
   */
  private boolean arriving(Acting a, SendMessageRequest r) {
    if (a != null
        && a.shard() == r.getShard()
        && a.epoch() == r.getEpoch()
        && a.sessionId() != null
        && a.mayActAt(clock.nanoTime())) {
      return false;
    }
    RoutingTable t = shardMap.table();
    return t.shardCount() == r.getShardCount()
        && t.primaryOf(r.getShard())
            .filter(p -> p.getCoreappId().equals(coreappId) && p.getEpoch() == r.getEpoch())
            .isPresent();
  }

  private Optional<Refusal> check(Acting a, SendMessageRequest r) {
    return refusal(a, r.getShard(), r.getEpoch(), List.of(r.getTo()));
  }

  /**
   * Why {@code a} may not act for {@code waIds} of {@code shard} at {@code epoch} now: not that
   * primary (its lease checked), no upstream session, or an id of another shard; empty when it may.
   */
  Optional<Refusal> refusal(Acting a, int shard, long epoch, List<String> waIds) {
    if (a == null || a.shard() != shard || a.epoch() != epoch || !a.mayActAt(clock.nanoTime())) {
      return Optional.of(notPrimary(shard, epoch));
    }
    if (a.sessionId() == null) {
      return Optional.of(unavailable("upstream session connecting").getRefusal());
    }
    for (String to : waIds) {
      if (Sharding.shardOf(to, a.shardCount()) != a.shard()) {
        return Optional.of(
            Refusal.newBuilder()
                .setCode(Status.Code.FAILED_PRECONDITION.value())
                .setDescription("recipient " + to + " is not in shard " + a.shard())
                .build());
      }
    }
    return Optional.empty();
  }

  private static SendResult unavailable(String description) {
    return SendResult.newBuilder()
        .setRefusal(
            Refusal.newBuilder()
                .setCode(Status.Code.UNAVAILABLE.value())
                .setDescription(description))
        .build();
  }

  /** The refusal of a message for a shard and epoch this coreapp does not hold now. */
  private Refusal notPrimary(int shard, long epoch) {
    Refusal.Builder r =
        Refusal.newBuilder()
            .setCode(Status.Code.FAILED_PRECONDITION.value())
            .setDescription(
                "coreapp "
                    + coreappId
                    + " is not the primary of shard "
                    + shard
                    + " at epoch "
                    + epoch);
    Optional<ShardAssignment> current =
        shardMap
            .table()
            .primaryOf(shard)
            .filter(x -> !x.getCoreappId().equals(coreappId) && x.getEpoch() >= epoch);
    current.ifPresent(
        c ->
            r.setDescription(
                    r.getDescription()
                        + "; the primary is "
                        + c.getCoreappId()
                        + " at "
                        + c.getCoreappAddress()
                        + " (epoch "
                        + c.getEpoch()
                        + ")")
                .setPrimaryAddress(c.getCoreappAddress())
                .setPrimaryEpoch(c.getEpoch()));
    return r.build();
  }
}
