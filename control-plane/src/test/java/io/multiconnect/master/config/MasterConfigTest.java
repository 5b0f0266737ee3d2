package io.multiconnect.master.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
  }

  @Test
  void errorsNameTheKey() throws Exception {
    ConfigException missing =
        assertThrows(
            ConfigException.class, () -> MasterConfig.load(file("node.id=m1\n"), Map.of()));
    assertTrue(missing.getMessage().startsWith("peers:"), missing.getMessage());

    ConfigException badPeer =
        assertThrows(
            ConfigException.class,
            () ->
                MasterConfig.load(
                    file("node.id=m1\npeers=m1:127.0.0.1:98x71:9881\ndata.dir=/tmp\n"), Map.of()));
    assertTrue(badPeer.getMessage().contains("bad port '98x71'"), badPeer.getMessage());

    ConfigException notAPeer =
        assertThrows(
            ConfigException.class,
            () ->
                MasterConfig.load(
                    file("node.id=m9\npeers=m1:127.0.0.1:9871:9881\ndata.dir=/tmp\n"), Map.of()));
    assertTrue(notAPeer.getMessage().startsWith("node.id:"), notAPeer.getMessage());

    ConfigException badNumber =
        assertThrows(
            ConfigException.class,
            () ->
                MasterConfig.load(
                    file(
                        "node.id=m1\npeers=m1:127.0.0.1:9871:9881\ndata.dir=/tmp\n"
                            + "snapshot.threshold=lots\n"),
                    Map.of()));
    assertTrue(badNumber.getMessage().startsWith("snapshot.threshold:"), badNumber.getMessage());
  }
}
