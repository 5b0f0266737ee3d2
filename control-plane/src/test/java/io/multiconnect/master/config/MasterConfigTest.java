package io.multiconnect.master.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.metrics.MetricsEndpoint;
import io.multiconnect.common.net.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterConfigTest {
  @TempDir Path dir;

  private Path file(String text) throws Exception {
    Path f = dir.resolve("master.properties");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void readsTheFileAndTheEnvironmentWins() throws Exception {
    Path f =
        file(
            "node.id=m1\n"
                + "peers=m1:127.0.0.1:9871:9881,m2:127.0.0.1:9872:9882\n"
                + "data.dir=/tmp/a\n");
    MasterConfig c = MasterConfig.load(f, Map.of("MC_NODE_ID", "m2", "MC_DATA_DIR", "/tmp/b"));
    assertEquals("m2", c.nodeId());
    assertEquals(Path.of("/tmp/b"), c.dataDir());
    assertEquals(9882, c.self().apiPort());
    assertEquals(MasterConfig.DEFAULT_SNAPSHOT_THRESHOLD, c.snapshotThreshold());
    assertEquals(1, c.initialShards());
    assertEquals(4, MasterConfig.load(f, Map.of("MC_INITIAL_SHARDS", "4")).initialShards());
    assertEquals(Duration.ofHours(1), c.deregisterAfter());
    assertEquals(
        Duration.ofMinutes(10),
        MasterConfig.load(f, Map.of("MC_COREAPP_DEREGISTER_AFTER_SECONDS", "600"))
            .deregisterAfter());
  }

  @Test
  void raftTimingDefaultsAndComesFromTheFileOrTheEnvironment() throws Exception {
    String valid = "node.id=m1\npeers=m1:127.0.0.1:9871:9881\ndata.dir=/tmp\n";
    assertEquals(RaftTiming.DEFAULT, MasterConfig.load(file(valid), Map.of()).raftTiming());
    Path f = file(valid + "raft.election.timeout.min.ms=800\n");
    RaftTiming t =
        MasterConfig.load(f, Map.of("MC_RAFT_ELECTION_TIMEOUT_MAX_MS", "2000")).raftTiming();
    assertEquals(new RaftTiming(Duration.ofMillis(800), Duration.ofMillis(2000)), t);
    assertEquals(Duration.ofMillis(400), t.heartbeatInterval());
  }

  @Test
  void theZoneComesFromTheFileOrTheEnvironmentAndIsEmptyWithoutEither() throws Exception {
    String valid = "node.id=m1\npeers=m1:127.0.0.1:9871:9881\ndata.dir=/tmp\n";
    assertEquals("", MasterConfig.load(file(valid), Map.of()).zone());
    Path f = file(valid + "zone=rack-1\n");
    assertEquals("rack-1", MasterConfig.load(f, Map.of()).zone());
    assertEquals("rack-2", MasterConfig.load(f, Map.of("MC_ZONE", "rack-2")).zone());
    assertRefused(valid + "zone=rack 1\n", "zone: empty, or 1-64 letters");
  }

  @Test
  void tlsFilesComeFromTheFileAndTheEnvironmentWins() throws Exception {
    Path f = file("node.id=m1\ntls.cert=/etc/m1.crt\ntls.key=/etc/m1.key\ntls.ca=/etc/ca.crt\n");
    assertEquals(
        Map.of(
            "MC_TLS_CERT", "/etc/m1.crt", "MC_TLS_KEY", "/run/m1.key", "MC_TLS_CA", "/etc/ca.crt"),
        MasterConfig.tlsSettings(f, Map.of("MC_TLS_KEY", "/run/m1.key", "MC_PEERS", "x")));
    assertEquals(
        Map.of("MC_TLS", "plaintext"),
        MasterConfig.tlsSettings(null, Map.of("MC_TLS", "plaintext")));
  }

  private void assertRefused(String properties, String expectedMessagePart) throws Exception {
    Path f = file(properties);
    ConfigException e = assertThrows(ConfigException.class, () -> MasterConfig.load(f, Map.of()));
    assertTrue(e.getMessage().contains(expectedMessagePart), e.getMessage());
  }

  @Test
  void errorsNameTheKey() throws Exception {
    String valid = "node.id=m1\npeers=m1:127.0.0.1:9871:9881\ndata.dir=/tmp\n";
    assertRefused("node.id=m1\n", "peers: is required");
    assertRefused(valid.replace("9871", "98x71"), "peers: bad port '98x71'");
    assertRefused(valid.replace("node.id=m1", "node.id=m9"), "node.id: 'm9' is not one of");
    assertRefused(valid + "snapshot.threshold=lots\n", "snapshot.threshold: must be a whole");
    assertRefused(valid + "log.segment.bytes=100\n", "log.segment.bytes: must be at least");
    assertRefused(valid + "initial.shards=3\n", "initial.shards: must be one of 1, 2, 4");
    assertRefused(valid + "raft.election.timeout.min.ms=50\n", "raft.election.timeout.min.ms");
    assertRefused(
        valid + "raft.election.timeout.min.ms=900\n", "raft.election.timeout.max.ms: must be");
    assertRefused(
        valid + "coreapp.deregister.after.seconds=59\n",
        "coreapp.deregister.after.seconds: must be at least 60 seconds");
    assertRefused(
        valid + "metrics.address=0.0.0.0:9464\n",
        "metrics.address: MC_METRICS_ADDRESS: 0.0.0.0:9464 is not a loopback address; set"
            + " WA_API_KEY");
    assertRefused(valid + "metrics.address=9464\n", "metrics.address: MC_METRICS_ADDRESS:");
    assertRefused(
        valid + "metrics.address=0.0.0.0:9464\nmetrics.api.key=short\n",
        "metrics.address: WA_API_KEY: must be 12-128 characters");
  }

  @Test
  void metricsAreServedOnLoopbackOrWithAKey() throws Exception {
    Path f = file("node.id=m1\npeers=m1:127.0.0.1:9871:9881\ndata.dir=/tmp\n");
    assertEquals(Optional.empty(), MasterConfig.load(f, Map.of()).metrics());
    assertEquals(
        new HostPort("127.0.0.1", 9464),
        MasterConfig.load(f, Map.of("MC_METRICS_ADDRESS", "127.0.0.1:9464"))
            .metrics()
            .orElseThrow()
            .address());
    MetricsEndpoint.Settings open =
        MasterConfig.load(
                f, Map.of("MC_METRICS_ADDRESS", "0.0.0.0:9464", "WA_API_KEY", "a-key-of-12ch"))
            .metrics()
            .orElseThrow();
    assertTrue(open.apiKey().orElseThrow().matches("Apikey a-key-of-12ch"));
  }
}
