package io.multiconnect.master.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core decides; adapters do I/O. Fails the build when a core class imports a Ratis, gRPC,
 * Javalin, protobuf or JDBC type (Kafka's import-control idea, as a test).
 */
class CoreImportRulesTest {
  private static final List<String> FORBIDDEN =
      List.of(
          "org.apache.ratis",
          "io.grpc",
          "io.javalin",
          "com.google.protobuf",
          "io.multiconnect.proto",
          "java.sql",
          "javax.sql",
          "com.zaxxer",
          "com.mysql");

  @Test
  void coreImportsNoTransportOrStorageTypes() throws IOException {
    Path core = Path.of("src/main/java/io/multiconnect/master/core");
    List<String> violations;
    try (Stream<Path> files = Files.walk(core)) {
      violations =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .flatMap(CoreImportRulesTest::forbiddenImports)
              .toList();
    }
    assertEquals(List.of(), violations);
  }

  private static Stream<String> forbiddenImports(Path file) {
    try {
      return Files.readAllLines(file).stream()
          .filter(line -> line.startsWith("import "))
          .filter(
              line ->
                  FORBIDDEN.stream()
                      .anyMatch(
                          f -> line.contains(" " + f + ".") || line.contains("static " + f + ".")))
          .map(line -> file.getFileName() + ": " + line);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
