package io.multiconnect.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.ImportRules;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The data plane stands beside the control plane, not on it: it shares the kernel ({@code
 * io.multiconnect.common}) and the wire contract, and talks to the masters over gRPC only. The
 * webapp's class path has the admin client library, never the CLI or Ratis.
 */
class DataPlaneImportRulesTest {

  @Test
  void noDataPlaneClassImportsTheMastersTheCliOrRatis() {
    assertEquals(
        List.of(),
        ImportRules.violations(
            Path.of("src/main/java/io/multiconnect/dataplane"),
            List.of(
                "io.multiconnect.master",
                "io.multiconnect.mcctl",
                "io.multiconnect.lab",
                "org.apache.ratis",
                "picocli")));
  }
}
