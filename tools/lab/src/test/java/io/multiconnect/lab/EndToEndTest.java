package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.dataplane.TextMessage;
import io.multiconnect.master.MiniCluster;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.ClusterVersion;
import io.multiconnect.master.core.Coreapp;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.MovePrimaryRequest;
import io.multiconnect.proto.v1.Refusal;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.SendMessagesRequest;
import io.multiconnect.proto.v1.SendMessagesResponse;
import io.multiconnect.proto.v1.SetClusterVersionRequest;
import io.multiconnect.proto.v1.SetDrainedRequest;
import io.multiconnect.proto.v1.TransferLeadershipRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real masters, upstream, webapp over HTTP, and coreapp processes killed and stopped for real. */
@Tag("slow")
class EndToEndTest {
  private static final Duration UNHEALTHY = Duration.ofSeconds(2);

  @TempDir Path dir;
  private LocalCluster cluster;
  private Http http;

  @AfterEach
  void stop() throws InterruptedException {
    if (cluster != null) {
      cluster.close();
    }
  }

  private int sendText(String to) throws Exception {
    return http.call("POST", "/v1/messages", text(to)).status();
  }

  /** Recipients (wa_ids) that fall in {@code shard} of {@code count}. */
  private static List<String> recipients(int shard, int count, int n) {
    List<String> out = new ArrayList<>();
    for (long i = 0; out.size() < n; i++) {
      String id = Long.toString(15550000000L + i * 7919);
      if (Sharding.shardOf(id, count) == shard) {
        out.add(id);
      }
    }
    return out;
  }

  private Assignment primaryOf(int shard) {
    return cluster.state().assignments().get(shard);
  }

  private void startTwoShards(int coreapps) throws Exception {
    startTwoShards(coreapps, UNHEALTHY);
  }

  private void startTwoShards(int coreapps, Duration unhealthy) throws Exception {
    cluster = new LocalCluster(dir);
    http = new Http(cluster.webapp.port());
    await()
        .atMost(Duration.ofSeconds(15))
        .ignoreExceptions()
        .until(() -> http.loginFirstTime("Str0ng!pass") != null);
    cluster
        .admin()
        .updateSettings(
            UpdateSettingsRequest.newBuilder()
                .setHeartbeatIntervalMs(200)
                .setUnhealthyIntervalMs(unhealthy.toMillis())
                .build());
    for (int i = 0; i < coreapps; i++) {
      cluster.startCoreapp("c" + i);
    }
    String twoShards =
        "{\"cc\":\"1\",\"phone_number\":\"5550001234\",\"shards\":2,\"pin\":\"123456\"}";
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> http.call("POST", "/v1/account/shards", twoShards).status() == 201);
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                sendText(recipients(0, 2, 1).get(0)) == 201
                    && sendText(recipients(1, 2, 1).get(0)) == 201);
  }

  @Test
  void thousandMessagesThenAKilledPrimaryIsReplacedWhileTheOtherShardNeverStops() throws Exception {
    startTwoShards(3);
    long before = cluster.upstream.acceptedMessages();
    for (long i = 0; i < 1000; i++) {
      String to = Long.toString(4915100000000L + i * 104729);
      assertEquals(201, sendText(to), "message to " + to);
    }
    assertEquals(
        before + 1000,
        cluster.upstream.acceptedMessages(),
        "each accepted by the upstream on its shard");

    // Shard 1 keeps sending throughout; any failure there is a violation.
    Load shard1 = new Load(recipients(1, 2, 200));

    Assignment victim = primaryOf(0);
    long killedAt = System.nanoTime();
    cluster.kill9(victim.coreappId());
    List<String> shard0 = recipients(0, 2, 50);
    int attempt = 0;
    while (sendText(shard0.get(attempt++ % shard0.size())) != 201) {
      assertTrue(
          System.nanoTime() - killedAt < Duration.ofSeconds(30).toNanos(),
          "shard 0 never came back");
    }
    long recoveredMs = (System.nanoTime() - killedAt) / 1_000_000;
    shard1.finish();

    System.out.printf(
        "kill -9 of %s (shard 0, epoch %d): shard 0 accepted again after %d ms; shard 1 sent %d, failed %d;"
            + " bans %d%n",
        victim.coreappId(),
        victim.epoch(),
        recoveredMs,
        shard1.sent.get(),
        shard1.failed.get(),
        cluster.upstream.bans());
    assertTrue(
        recoveredMs <= UNHEALTHY.plusSeconds(2).toMillis(),
        "recovered after " + recoveredMs + " ms");
    assertTrue(primaryOf(0).epoch() > victim.epoch());
    assertEquals(0, shard1.failed.get(), "shard 1 never stopped");
    assertTrue(shard1.sent.get() > 0);
    assertEquals(0, cluster.upstream.bans(), "the ban detector saw no overlap");
  }

  /**
   * A frozen primary cannot close its upstream session; the upstream drops it for silence before
   * the lease runs out, so the new primary's session overlaps nothing. (Relying on HTTP/2 keepalive
   * instead, the chaos harness saw the upstream ban the account after a SIGSTOP of 2 s.)
   */
  @Test
  void aFrozenPrimaryIsReplacedWithoutABanAndStaysQuietWhenItWakes() throws Exception {
    startTwoShards(3);
    Assignment victim = primaryOf(0);
    List<String> shard0 = recipients(0, 2, 50);
    AtomicInteger next = new AtomicInteger();
    cluster.signal(victim.coreappId(), "STOP");
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> sendText(shard0.get(next.getAndIncrement() % shard0.size())) == 201);
    } finally {
      cluster.signal(victim.coreappId(), "CONT");
    }
    Assignment successor = primaryOf(0);
    assertTrue(successor.epoch() > victim.epoch());
    for (int i = 0; i < 40; i++) {
      assertEquals(201, sendText(shard0.get(i)), "shard 0 after the old primary woke up");
    }
    assertEquals(successor, primaryOf(0), "the woken coreapp took nothing back");
    assertEquals(0, cluster.upstream.bans(), "the ban detector saw no overlap");
  }

  /** The sessions the upstream counts as live: holder, epoch and id of each. */
  private Set<String> liveSessions() {
    ManagedChannel channel =
        Endpoints.channel(
            "127.0.0.1:" + cluster.upstream.port(), TestTls.PLAINTEXT, PeerCheck.anyNode());
    try {
      return UpstreamGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .getReport(ReportRequest.newBuilder().setMaxEvents(1).build())
          .getLiveSessionsList()
          .stream()
          .map(l -> l.getCoreappId() + "@" + l.getEpoch() + ":" + l.getSessionId())
          .collect(Collectors.toSet());
    } finally {
      Endpoints.shutdown(List.of(channel));
    }
  }

  @Test
  void idlePrimariesKeepTheirUpstreamSessionsByTheirKeepAlives() throws Exception {
    startTwoShards(3);
    Set<String> sessions = liveSessions();
    assertEquals(2, sessions.size(), sessions.toString());
    // Ten times the upstream's silence timeout and its slack, nothing sent: a primary whose
    // keep-alives did not arrive would lose its session and open another.
    await()
        .during(Duration.ofSeconds(4))
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> liveSessions().equals(sessions));
    assertEquals(0, cluster.upstream.bans());
  }

  /** Sends to {@code recipients} until stopped, counting outcomes and the slowest request. */
  private final class Load extends Thread {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicInteger sent = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    volatile long slowestMs;
    private final List<String> recipients;

    Load(List<String> recipients) {
      this.recipients = recipients;
      start();
    }

    @Override
    public void run() {
      for (int i = 0; running.get() && i < 100_000; i++) {
        long t0 = System.nanoTime();
        try {
          if (sendText(recipients.get(i % recipients.size())) == 201) {
            sent.incrementAndGet();
          } else {
            failed.incrementAndGet();
          }
        } catch (Exception e) {
          failed.incrementAndGet();
        }
        slowestMs = Math.max(slowestMs, (System.nanoTime() - t0) / 1_000_000);
      }
    }

    void finish() throws InterruptedException {
      running.set(false);
      join(10_000);
    }
  }

  @Test
  void moveAndDrainUnderLoadLoseNoMessage() throws Exception {
    startTwoShards(4);
    long acceptedBefore = cluster.upstream.acceptedMessages();
    Load shard0 = new Load(recipients(0, 2, 100));
    Load shard1 = new Load(recipients(1, 2, 100));
    await().atMost(Duration.ofSeconds(5)).until(() -> shard0.sent.get() > 20);

    // Move shard 0 to a spare, by name.
    Assignment from = primaryOf(0);
    String target =
        cluster.state().coreapps().keySet().stream()
            .filter(id -> cluster.state().isSpare(id))
            .findFirst()
            .orElseThrow();
    long moveAt = System.nanoTime();
    cluster
        .admin()
        .movePrimary(MovePrimaryRequest.newBuilder().setShard(0).setCoreappId(target).build());
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> primaryOf(0) != null && primaryOf(0).coreappId().equals(target));
    long movedMs = (System.nanoTime() - moveAt) / 1_000_000;

    // Drain shard 1's primary: the shard goes to the remaining spare.
    Assignment drained = primaryOf(1);
    long drainAt = System.nanoTime();
    cluster
        .admin()
        .setDrained(
            SetDrainedRequest.newBuilder()
                .setCoreappId(drained.coreappId())
                .setDrained(true)
                .build());
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> primaryOf(1) != null && !primaryOf(1).coreappId().equals(drained.coreappId()));
    long drainedMs = (System.nanoTime() - drainAt) / 1_000_000;
    int sentBeforeEnd = shard0.sent.get() + shard1.sent.get();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> shard0.sent.get() + shard1.sent.get() > sentBeforeEnd + 20);
    shard0.finish();
    shard1.finish();

    System.out.printf(
        "move of shard 0 %s -> %s: new primary after %d ms, slowest shard-0 request %d ms;"
            + " drain of %s: shard 1 moved after %d ms, slowest shard-1 request %d ms;"
            + " sent %d + %d, failed %d + %d%n",
        from.coreappId(),
        target,
        movedMs,
        shard0.slowestMs,
        drained.coreappId(),
        drainedMs,
        shard1.slowestMs,
        shard0.sent.get(),
        shard1.sent.get(),
        shard0.failed.get(),
        shard1.failed.get());
    assertEquals(0, shard0.failed.get(), "no failed message on the moved shard");
    assertEquals(0, shard1.failed.get(), "no failed message on the drained coreapp's shard");
    assertEquals(
        acceptedBefore + shard0.sent.get() + shard1.sent.get(),
        cluster.upstream.acceptedMessages(),
        "every acknowledged message reached the upstream exactly once");
    assertEquals(0, cluster.upstream.bans(), "the ban detector saw no overlap");
    assertTrue(primaryOf(0).epoch() > from.epoch() && primaryOf(1).epoch() > drained.epoch());
    assertTrue(cluster.state().coreapps().get(drained.coreappId()).drained());
  }

  /**
   * docs/operations.md's rolling upgrade under load: masters one at a time (the leader last, after
   * handing its leadership away) restarted as the next release, coreapps one at a time drained,
   * stopped and started again, then the cluster version raised. The webapp is not restarted here
   * (one in process; webapps are upgraded behind a load balancer).
   */
  @Test
  void aRollingUpgradeUnderLoadFailsNoRequestAndLosesNoEntry() throws Exception {
    startTwoShards(3);
    long acceptedBefore = cluster.upstream.acceptedMessages();
    Load shard0 = new Load(recipients(0, 2, 100));
    Load shard1 = new Load(recipients(1, 2, 100));
    await().atMost(Duration.ofSeconds(5)).until(() -> shard0.sent.get() > 20);
    MiniCluster masters = cluster.masters;
    int next = ClusterVersion.SUPPORTED + 1;

    int firstLeader = masters.awaitLeader(Duration.ofSeconds(15));
    List<Integer> order = new ArrayList<>(List.of(0, 1, 2));
    order.remove(Integer.valueOf(firstLeader));
    order.add(firstLeader);
    for (int i : order) {
      // The leader hands its leadership away first (it may also lose it on its own meanwhile).
      String to = "m" + order.get(0);
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () -> {
                if (masters.awaitLeader(Duration.ofSeconds(15)) == i) {
                  masters
                      .admin(i)
                      .transferLeadership(
                          TransferLeadershipRequest.newBuilder().setMasterId(to).build());
                }
                return masters.leaderIndex().filter(l -> l != i).isPresent();
              });
      masters.kill(i);
      masters.restart(i, MasterConfig.DEFAULT_SNAPSHOT_THRESHOLD, next);
      long applied = cluster.state().version();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> masters.node(i).state().version() >= applied);
    }

    for (String c : List.of("c0", "c1", "c2")) {
      String before = cluster.state().coreapps().get(c).incarnation();
      // On the leader of the moment: a restarted master may have started an election.
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  cluster
                      .admin()
                      .setDrained(
                          SetDrainedRequest.newBuilder().setCoreappId(c).setDrained(true).build())
                      .getId()
                      .equals(c));
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  cluster.state().assignmentOf(c).isEmpty()
                      && cluster.state().revocationsOf(c).isEmpty()
                      && cluster.state().assignments().size() == 2);
      cluster.sigterm(c);
      assertTrue(cluster.coreapps.get(c).waitFor(20, TimeUnit.SECONDS), c + " stopped");
      cluster.startCoreapp(c);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                Coreapp now = cluster.state().coreapps().get(c);
                return !now.incarnation().equals(before) && !now.drained();
              });
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () ->
                cluster.state().clusterVersion() == next
                    || cluster
                            .admin()
                            .setClusterVersion(
                                SetClusterVersionRequest.newBuilder().setVersion(next).build())
                            .getClusterVersion()
                        == next);
    int sentAtRaise = shard0.sent.get() + shard1.sent.get();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> shard0.sent.get() + shard1.sent.get() > sentAtRaise + 20);
    shard0.finish();
    shard1.finish();

    System.out.printf(
        "rolling upgrade: sent %d + %d, failed %d + %d, slowest %d / %d ms%n",
        shard0.sent.get(),
        shard1.sent.get(),
        shard0.failed.get(),
        shard1.failed.get(),
        shard0.slowestMs,
        shard1.slowestMs);
    assertEquals(0, shard0.failed.get() + shard1.failed.get(), "no failed request");
    assertEquals(
        acceptedBefore + shard0.sent.get() + shard1.sent.get(),
        cluster.upstream.acceptedMessages(),
        "every acknowledged message reached the upstream exactly once");
    assertEquals(0, cluster.upstream.bans());
    // No lost entry: every master holds the same state, at the raised version.
    long last = cluster.state().version();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> masters.upNodes().stream().allMatch(n -> n.state().version() >= last));
    ClusterState leaderState = cluster.state();
    assertEquals(next, leaderState.clusterVersion());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> masters.upNodes().stream().allMatch(n -> n.state().equals(cluster.state())));
    assertEquals(3, masters.upNodes().size());
  }

  @Test
  void sigtermMovesTheShardWithNoFailedMessage() throws Exception {
    startTwoShards(3);
    Assignment leaving = primaryOf(1);
    List<String> shard1 = recipients(1, 2, 100);
    int failures = 0;
    int sent = 0;
    cluster.sigterm(leaving.coreappId());
    long start = System.nanoTime();
    long movedAfterMs = -1;
    for (int i = 0; System.nanoTime() - start < Duration.ofSeconds(3).toNanos(); i++) {
      if (sendText(shard1.get(i % shard1.size())) == 201) {
        sent++;
      } else {
        failures++;
      }
      if (movedAfterMs < 0 && !primaryOf(1).coreappId().equals(leaving.coreappId())) {
        movedAfterMs = (System.nanoTime() - start) / 1_000_000;
      }
    }
    ClusterState s = cluster.state();
    System.out.printf(
        "SIGTERM of %s: shard 1 moved to %s (epoch %d) after %d ms; %d sent, %d failed%n",
        leaving.coreappId(),
        s.assignments().get(1).coreappId(),
        s.assignments().get(1).epoch(),
        movedAfterMs,
        sent,
        failures);
    assertTrue(movedAfterMs >= 0, "shard 1 moved");
    // Released, not timed out: the move must not wait for unhealthy_interval.
    assertTrue(movedAfterMs < UNHEALTHY.toMillis(), "moved after " + movedAfterMs + " ms");
    assertEquals(0, failures);
    assertEquals(0, cluster.upstream.bans());
  }

  @Test
  void withEveryMasterDownTheWebappRoutesWhileLeasesLastThenSaysRetry() throws Exception {
    Duration unhealthy = Duration.ofSeconds(5); // leases last 4 s
    startTwoShards(3, unhealthy);
    List<String> shard0 = recipients(0, 2, 20);
    List<String> shard1 = recipients(1, 2, 20);
    // Up while the masters are (a probe's 500 ms deadline can lapse once on a loaded machine).
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                http.call("GET", "/v1/health", null)
                    .json()
                    .path("meta")
                    .path("control_plane")
                    .asText()
                    .equals("up"));

    // Every master stops at once (their APIs go first; closing Ratis takes a few seconds more).
    long downAt = System.nanoTime();
    Thread stopper =
        new Thread(() -> cluster.masters.upNodes().parallelStream().forEach(m -> m.close()));
    stopper.start();
    int sent = 0;
    for (int i = 0; i < 20 && System.nanoTime() - downAt < Duration.ofSeconds(2).toNanos(); i++) {
      assertEquals(201, sendText(shard0.get(i)), "shard 0 while its lease lasts");
      assertEquals(201, sendText(shard1.get(i)), "shard 1 while its lease lasts");
      sent += 2;
    }
    Http.Response health = http.call("GET", "/v1/health", null);
    assertEquals(
        "down", health.json().path("meta").path("control_plane").asText(), health.toString());
    assertTrue(
        health.json().path("health").toString().contains("\"role\":\"coreapp\""),
        health.toString());

    // Past the lease (4 s after the last acknowledged heartbeat) the primaries stop: a clean 503.
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> http.call("POST", "/v1/messages", text(shard0.get(0))).status() == 503);
    long stoppedAfterMs = (System.nanoTime() - downAt) / 1_000_000;
    Http.Response refused = http.call("POST", "/v1/messages", text(shard1.get(0)));
    assertEquals(503, refused.status());
    assertEquals(1011, refused.json().path("errors").get(0).path("code").asInt());
    System.out.printf(
        "all masters down: %d messages sent while leases lasted; primaries stopped after %d ms%n",
        sent, stoppedAfterMs);
    assertTrue(sent > 0);
    assertEquals(0, cluster.upstream.bans());
  }

  private static String text(String to) {
    return "{\"to\":\"" + to + "\",\"type\":\"text\",\"text\":{\"body\":\"hi\"}}";
  }

  /**
   * A coreapp refuses a message for a shard it does not hold and names the primary; SendMessages
   * answers each message on its own, in order: sent, refused with the primary named, refused for a
   * recipient of another shard; a message id repeated in the batch is sent once.
   */
  @Test
  void aCoreappNamesThePrimaryAndAnswersEachMessageOfABatchOnItsOwn() throws Exception {
    startTwoShards(2, UNHEALTHY);
    Assignment shard0 = primaryOf(0);
    Assignment shard1 = primaryOf(1);
    String address0 = cluster.state().coreapps().get(shard0.coreappId()).address();
    String address1 = cluster.state().coreapps().get(shard1.coreappId()).address();
    var channel = Endpoints.channel(address0, TestTls.PLAINTEXT, PeerCheck.anyNode());
    try {
      var e =
          org.junit.jupiter.api.Assertions.assertThrows(
              io.grpc.StatusRuntimeException.class,
              () ->
                  CoreappGrpc.newBlockingStub(channel)
                      .sendMessage(message(1, shard1.epoch(), "misrouted-1", 0)));
      assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
      assertEquals(address1, e.getTrailers().get(GrpcWire.PRIMARY_ADDRESS));
      assertTrue(e.getStatus().getDescription().contains("the primary is " + shard1.coreappId()));

      long acceptedBefore = cluster.upstream.acceptedMessages();
      SendMessageRequest otherShardRecipient =
          message(0, shard0.epoch(), "batch-wrong-recipient", 0).toBuilder()
              .setTo(recipients(1, 2, 1).get(0))
              .build();
      SendMessagesResponse r =
          CoreappGrpc.newBlockingStub(channel)
              .sendMessages(
                  SendMessagesRequest.newBuilder()
                      .addMessages(message(0, shard0.epoch(), "batch-1", 0))
                      .addMessages(message(1, shard1.epoch(), "batch-misrouted", 0))
                      .addMessages(message(0, shard0.epoch(), "batch-2", 1))
                      .addMessages(otherShardRecipient)
                      .addMessages(message(0, shard0.epoch(), "batch-1", 0))
                      .build());
      assertEquals(5, r.getResultsCount());
      assertFalse(r.getResults(0).getId().isEmpty(), r.toString());
      assertFalse(r.getResults(2).getId().isEmpty(), r.toString());
      assertEquals(r.getResults(0).getId(), r.getResults(4).getId(), "the same id, sent once");
      Refusal notPrimary = r.getResults(1).getRefusal();
      assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION.value(), notPrimary.getCode());
      assertEquals(address1, notPrimary.getPrimaryAddress());
      assertEquals(shard1.epoch(), notPrimary.getPrimaryEpoch());
      Refusal wrongShard = r.getResults(3).getRefusal();
      assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION.value(), wrongShard.getCode());
      assertTrue(wrongShard.getDescription().contains("is not in shard 0"), wrongShard.toString());
      assertEquals(acceptedBefore + 2, cluster.upstream.acceptedMessages());
    } finally {
      Endpoints.shutdown(List.of(channel));
    }
  }

  private static SendMessageRequest message(int shard, long epoch, String id, int recipient) {
    String to = recipients(shard, 2, recipient + 1).get(recipient);
    return SendMessageRequest.newBuilder()
        .setShard(shard)
        .setShardCount(2)
        .setEpoch(epoch)
        .setMessageId(id)
        .setTo(to)
        .setType(TextMessage.TYPE)
        .setPayload(TextMessage.payload(to, "hi"))
        .build();
  }
}
