package io.multiconnect.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz campaign of {@code tools/fuzz/run} at a small size, so that a change which lets a bad
 * request through to a 5xx, an unexplained status or a dropped connection fails the suite; the full
 * campaign and its figures are in docs/reliability.md.
 */
@Tag("slow")
class FuzzSmokeTest {
  @TempDir Path dir;

  @Test
  void everyMutatedRequestIsAnsweredWithAReason() throws Exception {
    FuzzMain.Report report = FuzzMain.campaign(1_500, 1_000, 42, dir);
    assertTrue(report.clean(), report.text());
  }
}
