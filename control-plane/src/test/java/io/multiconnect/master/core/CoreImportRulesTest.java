package io.multiconnect.master.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.ImportRules;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The core decides; adapters do I/O. Fails the build when a core class imports a Ratis, gRPC,
 * Javalin, protobuf or JDBC type, or the kernel's transport parts (Kafka's import-control idea, as
 * a test).
 */
class CoreImportRulesTest {

  @Test
  void coreImportsNoTransportOrStorageTypes() {
    assertEquals(
        List.of(),
        ImportRules.violations(
            Path.of("src/main/java/io/multiconnect/master/core"),
            List.of(
                "org.apache.ratis",
                "io.grpc",
                "io.javalin",
                "com.google.protobuf",
                "io.multiconnect.proto",
                "io.multiconnect.common.net",
                "io.multiconnect.common.wire",
                "java.sql",
                "javax.sql",
                "com.zaxxer",
                "com.mysql")));
  }
}
