package io.multiconnect.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Kafka's import-control idea as a test helper: lists the imports under a source folder that name a
 * forbidden package. Each module's import-rules test says which layers its packages must not reach.
 */
public final class ImportRules {
  private ImportRules() {}

  /**
   * {@code File.java: import x.y.Z;} for every import in a {@code .java} file under {@code sources}
   * whose name starts with one of {@code forbidden} (a package, matched at a dot).
   */
  public static List<String> violations(Path sources, List<String> forbidden) {
    try (Stream<Path> files = Files.walk(sources)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .sorted()
          .flatMap(f -> forbiddenImports(f, forbidden))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Stream<String> forbiddenImports(Path file, List<String> forbidden) {
    try {
      return Files.readAllLines(file).stream()
          .filter(line -> line.startsWith("import "))
          .filter(
              line ->
                  forbidden.stream()
                      .anyMatch(
                          f -> line.contains(" " + f + ".") || line.contains("static " + f + ".")))
          .map(line -> file.getFileName() + ": " + line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
