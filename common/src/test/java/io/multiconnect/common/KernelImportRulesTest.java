package io.multiconnect.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shared kernel stays small and below both planes: it never reaches into a plane, the CLI or a
 * storage or consensus library, and the parts the masters' pure core uses (clock, lease, shard,
 * auth, mirror settings, node lifecycle) import no transport types either.
 */
class KernelImportRulesTest {
  private static final Path KERNEL = Path.of("src/main/java/io/multiconnect/common");

  @Test
  void theKernelReachesIntoNoPlaneAndNoHeavyLibrary() {
    assertEquals(
        List.of(),
        ImportRules.violations(
            KERNEL,
            List.of(
                "io.multiconnect.master",
                "io.multiconnect.dataplane",
                "io.multiconnect.client",
                "io.multiconnect.mcctl",
                "io.multiconnect.lab",
                "io.multiconnect.chaos",
                "io.multiconnect.bench",
                "org.apache.ratis",
                "io.javalin",
                "picocli",
                "java.sql",
                "javax.sql",
                "com.zaxxer",
                "com.mysql")));
  }

  @Test
  void thePartsThePureCoreUsesImportNoTransport() {
    List<String> transport = List.of("io.grpc", "com.google.protobuf", "io.multiconnect.proto");
    for (String pkg : List.of("clock", "lease", "shard", "auth", "mirror", "node")) {
      assertEquals(List.of(), ImportRules.violations(KERNEL.resolve(pkg), transport), pkg);
    }
  }
}
