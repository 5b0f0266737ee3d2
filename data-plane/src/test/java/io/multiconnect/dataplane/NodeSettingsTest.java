package io.multiconnect.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.dataplane.coreapp.CoreappConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSettingsTest {
  @TempDir Path dir;

  @Test
  void theFileIsReadAndTheEnvironmentWins() throws Exception {
    Path f = dir.resolve("c.properties");
    Files.writeString(
        f,
        "MC_COREAPP_ID=c1\nMC_COREAPP_ADDRESS=127.0.0.1:9941\nMC_MASTERS=127.0.0.1:9881\n"
            + "MC_UPSTREAM=127.0.0.1:9900\nMC_ZONE=rack-1\n");
    Map<String, String> merged =
        NodeSettings.load(
            new String[] {"--config", f.toString()},
            Map.of("MC_COREAPP_ID", "c9", "HOME", "/root"));
    CoreappConfig c = CoreappConfig.fromEnv(merged);
    assertEquals("c9", c.id());
    assertEquals("127.0.0.1:9941", c.address());
    assertEquals("rack-1", c.zone());
    assertTrue(
        !merged.containsKey("HOME"), "only MC_* and WA_API_KEY are taken from the environment");
  }

  /** A valid coreapp's environment with {@code key} set to {@code value}. */
  private static Map<String, String> coreappWith(String key, String value) {
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "MC_COREAPP_ID", "c1",
                "MC_COREAPP_ADDRESS", "127.0.0.1:9941",
                "MC_MASTERS", "127.0.0.1:9881",
                "MC_UPSTREAM", "127.0.0.1:9900"));
    env.put(key, value);
    return env;
  }

  @Test
  void badInputIsNamed() {
    for (String[] bad : new String[][] {{"MC_COREAPP_ADDRESS", "nowhere"}, {"MC_ZONE", "rack 1"}}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> CoreappConfig.fromEnv(coreappWith(bad[0], bad[1])));
      assertTrue(e.getMessage().startsWith(bad[0]), e.getMessage());
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                NodeSettings.load(
                    new String[] {"--config", dir.resolve("missing").toString()}, Map.of()));
    assertTrue(e.getMessage().startsWith("--config"), e.getMessage());
  }
}
