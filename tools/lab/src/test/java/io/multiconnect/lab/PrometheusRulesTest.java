package io.multiconnect.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus's alert rules are valid and pass their unit tests (alerts_test.yml), with
 * Prometheus's own {@code promtool} (Debian's {@code prometheus} package, which .ci/run installs).
 */
class PrometheusRulesTest {
  static final Path DEPLOY = Path.of("../../deploy/prometheus").toAbsolutePath().normalize();

  @Test
  void theAlertRulesAreValidAndPassTheirUnitTests() throws Exception {
    String check = Cmd.run("promtool", "check", "rules", DEPLOY.resolve("alerts.yml").toString());
    assertTrue(check.contains("SUCCESS: 12 rules found"), check);
    String tests =
        Cmd.run("promtool", "test", "rules", DEPLOY.resolve("alerts_test.yml").toString());
    assertTrue(tests.contains("SUCCESS"), tests);
  }
}
