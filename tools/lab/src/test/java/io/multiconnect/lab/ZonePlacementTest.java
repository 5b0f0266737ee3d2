package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.client.AdminClient;
import io.multiconnect.mcctl.StatusCommand;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.MasterStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Placement across zones with real processes: masters and coreapps labelled in their configuration,
 * a killed primary replaced from the other zone although a spare of its own zone comes first in id
 * order, and the status's warning once no spare is left outside the primary's zone.
 */
@Tag("slow")
class ZonePlacementTest {
  private static final String PASSWORD = "zones-Passw0rd";

  @TempDir Path dir;

  @Test
  void aDeadPrimaryIsReplacedFromAnotherZone() throws Exception {
    try (Lab lab =
        SmallTlsLab.create(
            dir.resolve("lab"), SmallTlsLab.options(3, 3, Map.of()).withWebapps(0))) {
      lab.zone("zone-a", "m1", "c1", "c2");
      lab.zone("zone-b", "m2", "c3");
      lab.zone("zone-c", "m3");
      lab.start();
      AdminClient admin = lab.ready(500, 4_000, PASSWORD, Duration.ofSeconds(120)).admin();

      ClusterStatus s = Lab.leaderStatus(admin);
      assertEquals(
          Map.of("m1", "zone-a", "m2", "zone-b", "m3", "zone-c"),
          s.getMastersList().stream()
              .collect(Collectors.toMap(MasterStatus::getId, MasterStatus::getZone)));
      assertEquals(
          Map.of("c1", "zone-a", "c2", "zone-a", "c3", "zone-b"),
          s.getCoreappsList().stream()
              .collect(Collectors.toMap(CoreappStatus::getId, CoreappStatus::getZone)));

      // Whichever registered first took shard 0; bring it to zone a, c3 a healthy spare.
      if (primary(admin).equals("c3")) {
        lab.kill("c3");
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> Set.of("c1", "c2").contains(primary(admin)));
        lab.start("c3");
      }
      String first = primary(admin);
      String sameZone = first.equals("c1") ? "c2" : "c1";
      await().atMost(Duration.ofSeconds(30)).until(() -> healthySpares(admin).size() == 2);

      // In id order the spare of the dead primary's own zone would come first.
      lab.kill(first);
      String next =
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(200))
              .until(() -> primary(admin), p -> !p.equals(first));
      assertEquals("c3", next);

      // With the zone-a spare gone too, shard 0 has no spare outside zone b.
      lab.kill(sameZone);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> StatusCommand.placementWarnings(Lab.leaderStatus(admin)),
              w ->
                  w.equals(
                      List.of("shard 0: no healthy spare outside zone zone-b of its primary c3")));
    }
  }

  private static String primary(AdminClient admin) {
    return Lab.leaderStatus(admin).getShardMap().getAssignmentsList().stream()
        .filter(a -> a.getShard() == 0)
        .map(a -> a.getCoreappId())
        .findFirst()
        .orElse("");
  }

  private static List<String> healthySpares(AdminClient admin) {
    return Lab.leaderStatus(admin).getCoreappsList().stream()
        .filter(c -> c.getState().equals("secondary") && c.getHealthy())
        .map(CoreappStatus::getId)
        .toList();
  }
}
