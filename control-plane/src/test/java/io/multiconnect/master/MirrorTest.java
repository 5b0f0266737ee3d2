package io.multiconnect.master;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.proto.v1.SetShardCountRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Three masters publishing to a real MariaDB; the database is stopped and restarted. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("slow")
class MirrorTest {
  private EmbeddedMariaDb db;
  private MiniCluster cluster;
  private final List<TestCoreapp> coreapps = new ArrayList<>();

  @BeforeAll
  void startDatabase(@TempDir Path dir) throws Exception {
    db = new EmbeddedMariaDb(dir);
  }

  @AfterAll
  void stopDatabase() throws Exception {
    db.close();
  }

  @AfterEach
  void stopCluster() throws InterruptedException {
    for (TestCoreapp c : coreapps) {
      c.close();
    }
    coreapps.clear();
    if (cluster != null) {
      cluster.close();
    }
  }

  private MirrorSettings start(Path dir, String database, String... coreappIds) throws Exception {
    MirrorSettings mirror = db.settings(database);
    cluster = MiniCluster.start(3, dir, 10_000, Optional.of(mirror));
    // On the leader of the moment: a loaded machine may elect another between the two calls.
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () ->
                cluster
                        .admin(cluster.awaitLeader(Duration.ofSeconds(15)))
                        .updateSettings(
                            UpdateSettingsRequest.newBuilder()
                                .setHeartbeatIntervalMs(100)
                                .setUnhealthyIntervalMs(1000)
                                .build())
                    != null);
    for (String id : coreappIds) {
      coreapps.add(new TestCoreapp(id, cluster.peers).start());
    }
    return mirror;
  }

  /** shard -> "coreapp@epoch", plus "count" -> shard count, as the mirror has them. */
  private static Map<String, String> mirrored(MirrorSettings m) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(m.jdbcUrl(), m.user(), m.password());
        Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("SELECT shard_count FROM cluster_state WHERE id = 1")) {
        if (r.next()) {
          out.put("count", Integer.toString(r.getInt(1)));
        }
      }
      try (ResultSet r =
          s.executeQuery(
              "SELECT shard, primary_coreapp, epoch FROM shards WHERE primary_coreapp IS NOT NULL")) {
        while (r.next()) {
          out.put(Integer.toString(r.getInt(1)), r.getString(2) + "@" + r.getLong(3));
        }
      }
    }
    return out;
  }

  private static Map<String, String> expected(ClusterState s) {
    Map<String, String> out = new TreeMap<>();
    out.put("count", Integer.toString(s.shardCount()));
    for (Assignment a : s.assignments().values()) {
      out.put(Integer.toString(a.shard()), a.coreappId() + "@" + a.epoch());
    }
    return out;
  }

  private ClusterState leaderState() {
    return cluster.node(cluster.leaderIndex().orElseThrow()).state();
  }

  /** Waits until the state stops changing, then checks the mirror matches it within 1 s. */
  private void assertMirrorFollowsWithinOneSecond(MirrorSettings m) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              ClusterState s = leaderState();
              return s.assignments().size() == s.shardCount();
            });
    Map<String, String> want = expected(leaderState());
    await()
        .atMost(Duration.ofSeconds(1))
        .pollInterval(Duration.ofMillis(20))
        .ignoreExceptions()
        .until(() -> mirrored(m).equals(want));
  }

  @Test
  void theMirrorEqualsTheRaftStateAfterSetShardsAndAfterAFailover(@TempDir Path dir)
      throws Exception {
    MirrorSettings m = start(dir, "mirror_follow", "a", "b", "c");
    await().atMost(Duration.ofSeconds(10)).until(() -> leaderState().assignments().size() == 1);
    assertMirrorFollowsWithinOneSecond(m);

    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(
            () ->
                cluster
                        .admin(cluster.leaderIndex().orElseThrow())
                        .setShardCount(SetShardCountRequest.newBuilder().setShardCount(2).build())
                        .getShardCount()
                    == 2);
    assertMirrorFollowsWithinOneSecond(m);
    assertEquals("2", mirrored(m).get("count"));

    Assignment old = leaderState().assignments().get(0);
    coreapps.stream().filter(c -> c.id.equals(old.coreappId())).findFirst().orElseThrow().silence();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                leaderState().assignments().get(0) != null
                    && leaderState().assignments().get(0).epoch() > old.epoch());
    assertMirrorFollowsWithinOneSecond(m);
  }

  @Test
  void aDatabaseOutageBlocksNothingAndTheMirrorCatchesUp(@TempDir Path dir) throws Exception {
    MirrorSettings m = start(dir, "mirror_outage", "a", "b", "c");
    await().atMost(Duration.ofSeconds(10)).until(() -> leaderState().assignments().size() == 1);
    assertMirrorFollowsWithinOneSecond(m);

    db.stop();
    long stoppedAt = System.nanoTime();
    try {
      // Failovers while the database is down: Raft and failure detection do not wait for it.
      for (int round = 0; round < 2; round++) {
        Assignment old = leaderState().assignments().get(0);
        coreapps.stream()
            .filter(c -> c.id.equals(old.coreappId()))
            .findFirst()
            .orElseThrow()
            .silence();
        await()
            .atMost(Duration.ofSeconds(3))
            .until(
                () ->
                    leaderState().assignments().get(0) != null
                        && leaderState().assignments().get(0).epoch() > old.epoch());
        // Every master applied it, so every Watch stream (what webapps route by) carries it.
        long epoch = leaderState().assignments().get(0).epoch();
        await()
            .atMost(Duration.ofSeconds(1))
            .until(
                () ->
                    cluster.upNodes().stream()
                        .map(n -> n.state().assignments().get(0))
                        .allMatch(a -> a != null && a.epoch() == epoch));
        coreapps.add(new TestCoreapp("spare" + round, cluster.peers).start());
      }
      long waitMs = Duration.ofSeconds(30).toMillis() - (System.nanoTime() - stoppedAt) / 1_000_000;
      // Keep the database down for 30 s in all, while the cluster keeps working.
      await()
          .pollDelay(Duration.ofMillis(Math.max(0, waitMs)))
          .atMost(Duration.ofSeconds(40))
          .until(() -> cluster.leaderIndex().isPresent());
    } finally {
      db.start();
    }
    long caughtUpAt = System.nanoTime();
    assertMirrorFollowsAfterRestart(m);
    System.out.printf(
        "database down %d s during 2 failovers; mirror caught up %d ms after restart%n",
        (caughtUpAt - stoppedAt) / 1_000_000_000, (System.nanoTime() - caughtUpAt) / 1_000_000);
  }

  private void assertMirrorFollowsAfterRestart(MirrorSettings m) {
    Map<String, String> want = expected(leaderState());
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(() -> mirrored(m).equals(want));
    assertTrue(
        cluster.node(cluster.leaderIndex().orElseThrow()).mirror().orElseThrow().publishedVersion()
            > 0);
  }
}
