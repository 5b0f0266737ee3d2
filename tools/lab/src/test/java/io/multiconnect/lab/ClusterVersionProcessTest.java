package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.client.AdminClient;
import io.multiconnect.master.MasterMain;
import io.multiconnect.master.MiniCluster;
import io.multiconnect.master.core.ClusterVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A master process of the earlier release in a cluster whose version the next release raised: it
 * stops with status 78 and its reason in its log, from its log (after it started) and from a
 * snapshot (as it starts), while the others serve on.
 */
@Tag("slow")
class ClusterVersionProcessTest {
  private static final String PASSWORD = "version-Passw0rd";
  private static final int NEXT = ClusterVersion.SUPPORTED + 1;

  @TempDir Path dir;

  @Test
  void aMasterOfTheEarlierReleaseExits78AtTheRaise() throws Exception {
    try (Lab lab =
        SmallTlsLab.create(
            dir.resolve("lab"), SmallTlsLab.options(3, 1, Map.of()).withWebapps(0))) {
      for (String m : lab.masters) {
        lab.runMasterWith(m, NextReleaseMaster.class.getName());
      }
      lab.start();
      AdminClient admin = lab.ready(500, 4_000, PASSWORD, Duration.ofSeconds(120)).admin();
      assertEquals(NEXT, admin.setClusterVersion(NEXT).getClusterVersion());

      // m3 back on this release, from its log: the raise is in it, not in a snapshot.
      lab.stop("m3");
      MiniCluster.deleteSnapshots(dir.resolve("lab").resolve("m3"));
      lab.runMasterWith("m3", MasterMain.class.getName());
      lab.start("m3");
      assertEquals(
          MasterMain.EXIT_INCOMPATIBLE,
          await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> lab.exitCode("m3"), Optional::isPresent)
              .get());
      String log = Files.readString(lab.logs().resolve("m3.log"));
      assertTrue(
          log.contains(
              "needs cluster version "
                  + NEXT
                  + ", and this master's release supports up to "
                  + ClusterVersion.SUPPORTED),
          log);
      // The two others still take writes.
      assertEquals(1, admin.setShardCount(1).getShardCount());

      // m2 back on this release, from the snapshot Ratis took as it stopped.
      lab.stop("m2");
      lab.runMasterWith("m2", MasterMain.class.getName());
      lab.start("m2");
      assertEquals(
          MasterMain.EXIT_INCOMPATIBLE,
          await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> lab.exitCode("m2"), Optional::isPresent)
              .get());
      assertTrue(
          Files.readString(lab.logs().resolve("m2.log")).contains("cannot start: snapshot"),
          "m2's log");
    }
  }
}
