package io.multiconnect.master.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.lease.Revocation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The planner's placement across zones, on states built from commands and a fixed liveness. */
class PlannerTest {

  /** Every coreapp healthy except {@code dead} ones, which are also dead. */
  private record Liveness(Set<String> dead) implements Planner.Liveness {
    @Override
    public boolean isHealthy(String coreappId) {
      return !dead.contains(coreappId);
    }

    @Override
    public boolean isDead(String coreappId) {
      return dead.contains(coreappId);
    }

    @Override
    public boolean isExpired(Revocation revocation) {
      return false;
    }

    @Override
    public boolean isLeaseBoundSettled() {
      return false;
    }

    @Override
    public boolean isGone(String coreappId) {
      return false;
    }
  }

  private static final Liveness ALL_HEALTHY = new Liveness(Set.of());

  /** {@code shards} shards and coreapps registered as "id@zone" (or "id" for no zone). */
  private static ClusterState registered(int shards, String... coreapps) {
    ClusterState s = ClusterState.INITIAL.apply(new Command.SetShardCount(shards), 1);
    assertEquals(shards, s.shardCount());
    return registered(s, coreapps);
  }

  /** {@code s} with coreapps registered as "id@zone" (or "id" for no zone). */
  private static ClusterState registered(ClusterState s, String... coreapps) {
    for (String c : coreapps) {
      String[] idZone = c.split("@", 2);
      s =
          s.apply(
              new Command.RegisterCoreapp(
                  idZone[0],
                  "i-" + idZone[0],
                  idZone[0] + ":1",
                  Duration.ZERO,
                  idZone.length == 2 ? idZone[1] : ""),
              s.version() + 1);
    }
    return s;
  }

  /** Applies the plan of {@code liveness}, as the leader would. */
  private static ClusterState planned(ClusterState s, Planner.Liveness liveness) {
    for (Command c : Planner.plan(s, liveness)) {
      s = s.apply(c, s.version() + 1);
    }
    return s;
  }

  /** Shard to its primary's id. */
  private static Map<Integer, String> primaries(ClusterState s) {
    Map<Integer, String> m = new TreeMap<>();
    s.assignments().forEach((shard, a) -> m.put(shard, a.coreappId()));
    return m;
  }

  @Test
  void withoutZonesSparesAreTakenInIdOrder() {
    ClusterState s = planned(registered(2, "c3", "c1", "c2"), ALL_HEALTHY);
    assertEquals(Map.of(0, "c1", 1, "c2"), primaries(s));

    s = planned(s, new Liveness(Set.of("c1")));
    assertEquals(Map.of(0, "c3", 1, "c2"), primaries(s));
  }

  @Test
  void primariesSpreadAcrossZonesBeforeAZoneTakesASecond() {
    ClusterState s = planned(registered(4, "a1@a", "a2@a", "b1@b", "b2@b", "c1@c"), ALL_HEALTHY);
    // One per zone first (a, b, c in id order among equals), then the next in id order: a2.
    assertEquals(Map.of(0, "a1", 1, "b1", 2, "c1", 3, "a2"), primaries(s));
  }

  @Test
  void aDeadPrimaryIsReplacedOutsideItsZoneEvenWhereItsZoneHoldsFewerPrimaries() {
    ClusterState s = planned(registered(2, "a1@a", "b1@b", "a2@a", "b2@b"), ALL_HEALTHY);
    assertEquals(Map.of(0, "a1", 1, "b1"), primaries(s));

    // With a1 dead, zone a holds no live primary and b one: spreading alone would take a2.
    s = planned(s, new Liveness(Set.of("a1")));
    assertEquals(Map.of(0, "b2", 1, "b1"), primaries(s));
  }

  @Test
  void aDeadPrimarysOwnZoneIsUsedWhenNoOtherHasAHealthySpare() {
    ClusterState s = planned(registered(2, "a1@a", "b1@b", "a2@a", "b2@b"), ALL_HEALTHY);

    s = planned(s, new Liveness(Set.of("a1", "b2")));
    assertEquals(Map.of(0, "a2", 1, "b1"), primaries(s));
  }

  @Test
  void aWholeZoneLostMovesEachOfItsShardsToTheZonesWithFewestPrimaries() {
    ClusterState s =
        planned(registered(4, "a1@a", "a2@a", "b1@b", "b2@b", "c1@c", "c2@c", "c3@c"), ALL_HEALTHY);
    assertEquals(Map.of(0, "a1", 1, "b1", 2, "c1", 3, "a2"), primaries(s));

    s = planned(s, new Liveness(Set.of("a1", "a2")));
    // Zone b then holds one primary, c one: shard 0 to b2 (b before c among equals), shard 3 to c2.
    assertEquals(Map.of(0, "b2", 1, "b1", 2, "c1", 3, "c2"), primaries(s));
  }

  @Test
  void coreappsNamingNoZoneAreOneZoneBesideTheNamedOnes() {
    ClusterState s = planned(registered(4, "a1@a", "a2@a", "n1", "n2", "n3"), ALL_HEALTHY);
    assertEquals(List.of("a1", "n1", "a2", "n2"), List.copyOf(primaries(s).values()));
  }

  @Test
  void anOperatorsMoveGoesToItsTargetWhateverTheZones() {
    ClusterState s = planned(registered(2, "a1@a", "a2@a", "a3@a", "b1@b"), ALL_HEALTHY);
    assertEquals(Map.of(0, "a1", 1, "b1"), primaries(s));

    long epoch = s.assignments().get(1).epoch();
    s = s.apply(new Command.MovePrimary(1, "a2", epoch), s.version() + 1);
    s = s.apply(new Command.ConfirmRelease("b1", "i-b1", epoch, false), s.version() + 1);
    // b1 is a spare again, in the zone without a primary: spreading alone would give it shard 1.
    assertEquals(Map.of(0, "a1", 1, "a2"), primaries(planned(s, ALL_HEALTHY)));
  }

  @Test
  void theShardWithFewerSparesOutsideItsZoneChoosesFirst() {
    ClusterState s = planned(registered(2, "a1@c", "z1@b"), ALL_HEALTHY);
    assertEquals(Map.of(0, "a1", 1, "z1"), primaries(s));
    s = planned(registered(s, "x1@a", "y1@b"), ALL_HEALTHY);

    // Both primaries die. Shard 1 (zone b) can leave its zone only for x1, shard 0 (zone c) for
    // either: shard 1 chooses first. In shard order, shard 0 would take x1 (first in id order) and
    // leave shard 1 only y1, of its dead primary's zone.
    s = planned(s, new Liveness(Set.of("a1", "z1")));
    assertEquals(Map.of(0, "y1", 1, "x1"), primaries(s));
  }
}
