package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.media.MediaStore;
import io.multiconnect.dataplane.webapp.WebappServer;
import io.multiconnect.master.EmbeddedMariaDb;
import io.multiconnect.master.MasterNode;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A webapp started while every master is down routes from the MySQL mirror. */
@Tag("slow")
class MirrorStartupTest {

  /**
   * Both coreapps write their database liveness row, again and again (every 0.5 s here): within 10
   * s of this call, both rows exist and the older one moved.
   */
  private static void assertLivenessRowsAdvance(MirrorSettings m) throws Exception {
    String sql = "SELECT COUNT(*), MIN(last_seen) FROM coreapp_liveness";
    java.sql.Timestamp[] first = new java.sql.Timestamp[1];
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(
            () -> {
              try (var c =
                      java.sql.DriverManager.getConnection(m.jdbcUrl(), m.user(), m.password());
                  var r = c.createStatement().executeQuery(sql)) {
                r.next();
                if (r.getInt(1) < 2) {
                  return false;
                }
                if (first[0] == null) {
                  first[0] = r.getTimestamp(2);
                  return false;
                }
                return r.getTimestamp(2).after(first[0]);
              }
            });
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aWebappStartedWithEveryMasterDownRoutesFromTheMirror(@TempDir Path dir) throws Exception {
    try (EmbeddedMariaDb db = new EmbeddedMariaDb(dir.resolve("db"))) {
      MirrorSettings mirror = db.settings("mirror_webapp");
      LocalCluster cluster = new LocalCluster(dir.resolve("cluster"), Optional.of(mirror));
      WebappServer late = null;
      try {
        cluster
            .admin()
            .updateSettings(
                UpdateSettingsRequest.newBuilder()
                    .setHeartbeatIntervalMs(200)
                    .setUnhealthyIntervalMs(5000)
                    .build());
        cluster.startCoreapp("c0");
        cluster.startCoreapp("c1");
        Http http = new Http(cluster.webapp.port());
        await()
            .atMost(Duration.ofSeconds(15))
            .ignoreExceptions()
            .until(() -> http.loginFirstTime("Str0ng!pass") != null);
        String message = "{\"to\":\"15551234567\",\"type\":\"text\",\"text\":{\"body\":\"hi\"}}";
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> http.call("POST", "/v1/messages", message).status() == 201);
        assertLivenessRowsAdvance(mirror);
        // Each coreapp keeps its liveness connection between beats, and makes it again once a
        // beat fails: the rows advance again after the database restarts.
        db.stop();
        db.start();
        assertLivenessRowsAdvance(mirror);
        MasterNode leader = cluster.leader();
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () -> leader.mirror().orElseThrow().publishedVersion() >= leader.state().version());

        Thread stopper =
            new Thread(() -> cluster.masters.upNodes().parallelStream().forEach(MasterNode::close));
        stopper.start();
        await()
            .atMost(Duration.ofSeconds(3))
            .pollInterval(Duration.ofMillis(20))
            .until(() -> cluster.masters.peers.stream().noneMatch(p -> accepts(p.apiPort())));
        late =
            new WebappServer(
                    "127.0.0.1",
                    0,
                    cluster.masterAddresses(),
                    "late",
                    Optional.empty(),
                    Optional.of(mirror),
                    NodeClock.system(),
                    TestTls.PLAINTEXT,
                    Optional.empty(),
                    MediaStore.in(dir.resolve("media")))
                .start();
        Http viaLate = new Http(late.port());
        viaLate.authorization =
            http.authorization; // a token issued before; checked with the mirror's key
        Http.Response r =
            viaLate.call("POST", "/v1/messages", message.replace("15551234567", "15557654321"));
        assertEquals(201, r.status(), r.toString());
        assertEquals(
            1,
            viaLate
                .call("GET", "/v1/account/shards", null)
                .json()
                .path("account")
                .path("shards")
                .asInt());
        stopper.join();
        assertEquals(0, cluster.upstream.bans());
      } finally {
        if (late != null) {
          late.close();
        }
        cluster.close();
      }
    }
  }
}
