package io.multiconnect.dataplane.coreapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.multiconnect.common.auth.ApiAccess;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.RoutingTable;
import io.multiconnect.dataplane.ShardMapWatcher;
import io.multiconnect.dataplane.TextMessage;
import io.multiconnect.dataplane.upstream.UpstreamSimulator;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.SendResult;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A coreapp's message checks against a real upstream simulator, with the coreapp's published state
 * and routing table set by hand and its clock moved by hand.
 */
class MessageSendsTest {
  private static final int SHARDS = 2;
  private static final long EPOCH = 5;

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final NodeClock clock = new NodeClock(nanos::get, Instant::now);
  private final AtomicReference<Acting> active = new AtomicReference<>();
  private UpstreamSimulator upstream;
  private ManagedChannel channel;
  private ScheduledExecutorService timer;
  private ShardMapWatcher map;
  private MessageSends sends;

  @BeforeEach
  void start() throws Exception {
    upstream = new UpstreamSimulator("127.0.0.1", 0, TestTls.PLAINTEXT).start();
    channel =
        Endpoints.channel("127.0.0.1:" + upstream.port(), TestTls.PLAINTEXT, PeerCheck.anyNode());
    timer = Executors.newSingleThreadScheduledExecutor();
    map =
        new ShardMapWatcher(
            List.of("127.0.0.1:1"), "test", TestTls.PLAINTEXT); // never started: seeded only
    ShardAssignment mine =
        ShardAssignment.newBuilder()
            .setShard(0)
            .setCoreappId("c3")
            .setCoreappAddress("127.0.0.1:2")
            .setEpoch(EPOCH)
            .build();
    map.seed(new RoutingTable(10, SHARDS, Map.of(0, mine), "", ApiAccess.NONE));
    sends = new MessageSends("c3", clock, active::get, map, timer);
  }

  @AfterEach
  void stop() {
    map.close();
    timer.shutdownNow();
    Endpoints.shutdown(List.of(channel));
    upstream.close();
  }

  @Test
  void aMessageForTheEpochBeingGivenWaitsForTheSessionInsteadOfBeingRefused() throws Exception {
    CompletableFuture<List<SendResult>> got = new CompletableFuture<>();
    sends.send(List.of(message("m1", EPOCH)), got::complete);
    assertFalse(got.isDone(), "held while the lease is on its way");
    active.set(active(null)); // the lease came, the session is connecting
    sends.activeChanged();
    assertFalse(got.isDone(), "held while the session is connecting");
    active.set(active(openSession()));
    sends.activeChanged();
    SendResult r = got.get(10, TimeUnit.SECONDS).get(0);
    assertFalse(r.hasRefusal(), () -> r.getRefusal().getDescription());
    assertEquals(1, upstream.acceptedMessages());
  }

  @Test
  void aHeldMessageIsRefusedOnceTheHoldRunsOut() throws Exception {
    CompletableFuture<List<SendResult>> got = new CompletableFuture<>();
    sends.send(List.of(message("m1", EPOCH)), got::complete);
    assertFalse(got.isDone());
    nanos.addAndGet(MessageSends.HOLD.plusMillis(1).toNanos());
    sends.activeChanged(); // what the timer does at the deadline, on the moved clock
    SendResult r = got.get(10, TimeUnit.SECONDS).get(0);
    assertEquals(Status.Code.FAILED_PRECONDITION.value(), r.getRefusal().getCode());
    assertTrue(r.getRefusal().getDescription().contains("not the primary"));
    assertEquals(0, upstream.acceptedMessages());
  }

  @Test
  void messagesForAnotherEpochOrShardAreRefusedAtOnce() {
    List<SendResult> older = new ArrayList<>();
    sends.send(List.of(message("m1", EPOCH - 1)), older::addAll);
    assertEquals(1, older.size(), "answered at once");
    assertTrue(older.get(0).hasRefusal());
    List<SendResult> otherShard = new ArrayList<>();
    sends.send(
        List.of(message("m2", EPOCH).toBuilder().setShard(1).setTo(recipient(1)).build()),
        otherShard::addAll);
    assertEquals(1, otherShard.size(), "answered at once");
    assertTrue(otherShard.get(0).hasRefusal());
  }

  private Acting active(String sessionId) {
    return new Acting(
        0, SHARDS, EPOCH, sessionId, clock.nanoTime() + Duration.ofSeconds(10).toNanos(), channel);
  }

  private String openSession() {
    return UpstreamGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .openSession(
            OpenSessionRequest.newBuilder()
                .setCoreappId("c3")
                .setIncarnation("test-1")
                .setShard(0)
                .setShardCount(SHARDS)
                .setEpoch(EPOCH)
                .build())
        .next()
        .getAccepted()
        .getSessionId();
  }

  private static SendMessageRequest message(String id, long epoch) {
    return SendMessageRequest.newBuilder()
        .setShard(0)
        .setShardCount(SHARDS)
        .setEpoch(epoch)
        .setMessageId(id)
        .setTo(recipient(0))
        .setType(TextMessage.TYPE)
        .setPayload(TextMessage.payload(recipient(0), "hello"))
        .build();
  }

  /** The first WhatsApp id from 15550000000 up in the given shard. */
  private static String recipient(int shard) {
    for (long n = 15_550_000_000L; n < 15_550_001_000L; n++) {
      if (Sharding.shardOf(Long.toString(n), SHARDS) == shard) {
        return Long.toString(n);
      }
    }
    throw new IllegalStateException("no recipient of shard " + shard + " in 1000 numbers");
  }
}
