package io.multiconnect.master.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link LeaseSimulation} over many seeds. Replay one seed with {@code -Dsim.seed=N}; change
 * how many seeds run with {@code -Dsim.seeds=N} (default 1000) and where they start with {@code
 * -Dsim.firstSeed=N}.
 */
class LeaseSimulationTest {

  @Test
  void noTwoCoreappsEverHoldOverlappingLeases() {
    long first = Long.getLong("sim.seed", Long.getLong("sim.firstSeed", 0L));
    long count = System.getProperty("sim.seed") != null ? 1 : Long.getLong("sim.seeds", 1000L);
    List<String> failures = new ArrayList<>();
    long assignments = 0;
    long leaseSamples = 0;
    long moves = 0;
    for (long seed = first; seed < first + count; seed++) {
      LeaseSimulation.Result r = new LeaseSimulation(seed, LeaseSimulation.Config.defaults()).run();
      r.violation()
          .ifPresent(
              v ->
                  failures.add(
                      "seed " + r.seed() + " (replay: -Dsim.seed=" + r.seed() + "): " + v));
      assignments += r.assignments();
      leaseSamples += r.leaseSamples();
      moves += r.moves();
    }
    failures.forEach(System.err::println);
    assertEquals(List.of(), failures);
    // Not vacuous: primaries held leases, shards moved many times, operators moved and drained.
    assertTrue(assignments > 5 * count, "assignments: " + assignments);
    assertTrue(leaseSamples > 1000 * count, "lease samples: " + leaseSamples);
    assertTrue(moves > count, "moves and drains: " + moves);
  }

  @Test
  void findsViolationsWhenClocksDriftBeyondTheBound() {
    LeaseSimulation.Config base = LeaseSimulation.Config.defaults();
    LeaseSimulation.Config broken =
        new LeaseSimulation.Config(
            base.masters(),
            base.coreapps(),
            0.5,
            base.heartbeatInterval(),
            base.unhealthyInterval(),
            base.length(),
            base.dropProbability(),
            base.maxDelay());
    long found = 0;
    for (long seed = 0; seed < 200; seed++) {
      if (new LeaseSimulation(seed, broken).run().violation().isPresent()) {
        found++;
      }
    }
    assertTrue(found > 0, "a 50 % clock-rate error must break the lease rule in some seed");
  }
}
