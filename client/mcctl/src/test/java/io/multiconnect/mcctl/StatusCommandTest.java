package io.multiconnect.mcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.LeaderHint;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The zones and placement warnings of {@code mcctl status}, from a status as a master gives it. */
class StatusCommandTest {

  private static MasterStatus master(String id, String zone) {
    return MasterStatus.newBuilder().setId(id).setZone(zone).setRole("follower").build();
  }

  private static CoreappStatus coreapp(String id, String zone, int shard, boolean healthy) {
    return CoreappStatus.newBuilder()
        .setId(id)
        .setZone(zone)
        .setShard(shard)
        .setState(shard < 0 ? "secondary" : "primary")
        .setHealthy(healthy)
        .build();
  }

  /** Shard 0's primary c1 in {@code primaryZone}; {@code spares} after it; m1 answers, leading. */
  private static ClusterStatus status(
      List<MasterStatus> masters, String primaryZone, CoreappStatus... spares) {
    ClusterStatus.Builder b =
        ClusterStatus.newBuilder()
            .setAnsweredBy("m1")
            .setLeader(LeaderHint.newBuilder().setLeaderId("m1"))
            .setShardMap(
                ShardMap.newBuilder()
                    .setShardCount(1)
                    .addAssignments(ShardAssignment.newBuilder().setShard(0).setCoreappId("c1")))
            .addAllMasters(masters)
            .addCoreapps(coreapp("c1", primaryZone, 0, true));
    return b.addAllCoreapps(List.of(spares)).build();
  }

  private static final List<MasterStatus> SPREAD =
      List.of(master("m1", "a"), master("m2", "b"), master("m3", "c"));

  @Test
  void aShardWhoseOnlyHealthySpareSharesItsPrimarysZoneIsNamed() {
    ClusterStatus s =
        status(SPREAD, "a", coreapp("c2", "a", -1, true), coreapp("c3", "b", -1, false));
    assertEquals(
        List.of("shard 0: no healthy spare outside zone a of its primary c1"),
        StatusCommand.placementWarnings(s));
    assertTrue(
        StatusCommand.table(s).contains("warning: shard 0: no healthy spare outside zone a"),
        StatusCommand.table(s));
  }

  @Test
  void aHealthySpareInAnotherZoneLeavesNothingToSay() {
    ClusterStatus s =
        status(SPREAD, "a", coreapp("c2", "a", -1, true), coreapp("c3", "b", -1, true));
    assertEquals(List.of(), StatusCommand.placementWarnings(s));
    assertTrue(StatusCommand.table(s).matches("(?s).*c3\\s+b\\s+secondary.*"));
  }

  @Test
  void aZoneWithAMajorityOfTheMastersIsNamed() {
    ClusterStatus s =
        status(
            List.of(master("m1", "a"), master("m2", "a"), master("m3", "b")),
            "a",
            coreapp("c3", "b", -1, true));
    assertEquals(
        List.of("zone a holds 2 of the 3 masters: its failure stops the control plane"),
        StatusCommand.placementWarnings(s));
  }

  @Test
  void aClusterThatNamesNoZonesGetsNoWarnings() {
    List<MasterStatus> unnamed = List.of(master("m1", ""), master("m2", ""), master("m3", ""));
    assertEquals(
        List.of(),
        StatusCommand.placementWarnings(status(unnamed, "", coreapp("c2", "", -1, true))));
  }

  @Test
  void aFollowersAnswerDoesNotKnowWhichSparesAreHealthy() {
    ClusterStatus s =
        status(SPREAD, "a", coreapp("c3", "b", -1, false)).toBuilder().setAnsweredBy("m2").build();
    assertEquals(List.of(), StatusCommand.placementWarnings(s));
    ClusterStatus none = status(SPREAD, "a").toBuilder().setAnsweredBy("m2").build();
    assertEquals(
        List.of("shard 0: no spare outside zone a of its primary c1"),
        StatusCommand.placementWarnings(none));
  }
}
