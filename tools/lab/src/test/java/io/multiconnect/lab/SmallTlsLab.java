package io.multiconnect.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The tests' smallest cluster with TLS on: 1 shard, 2 coreapps, 1 webapp and the given number of
 * masters, on loopback.
 */
final class SmallTlsLab {
  private SmallTlsLab() {}

  /**
   * A lab of {@code masters} in {@code dir} (not started), its nodes also given {@code nodeEnv}.
   */
  static Lab create(Path dir, int masters, Map<String, String> nodeEnv) throws IOException {
    return create(dir, options(masters, nodeEnv));
  }

  /** The options of such a lab, to change before creating it. */
  static Lab.Options options(int masters, Map<String, String> nodeEnv) {
    return options(masters, 2, nodeEnv);
  }

  /** The options of such a lab with {@code coreapps} coreapps. */
  static Lab.Options options(int masters, int coreapps, Map<String, String> nodeEnv) {
    return Lab.Options.smallTls(
        masters,
        coreapps,
        List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
        nodeEnv);
  }

  /** A lab of {@code options} in {@code dir}, on loopback (not started). */
  static Lab create(Path dir, Lab.Options options) throws IOException {
    return new Lab(dir, System.getProperty("java.class.path"), new LoopbackNetwork(), options);
  }
}
