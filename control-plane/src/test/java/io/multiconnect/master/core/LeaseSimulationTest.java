package io.multiconnect.master.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
    long deregistrations = 0;
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
      deregistrations += r.deregistrations();
    }
    failures.forEach(System.err::println);
    assertEquals(List.of(), failures);
    // Not vacuous: primaries held leases, shards moved many times, operators moved and drained,
    // coreapps down long enough were forgotten.
    assertTrue(assignments > 5 * count, "assignments: " + assignments);
    assertTrue(leaseSamples > 1000 * count, "lease samples: " + leaseSamples);
    assertTrue(moves > count, "moves and drains: " + moves);
    assertTrue(deregistrations > count / 10, "deregistrations: " + deregistrations);
  }

  @Test
  void findsViolationsWhenClocksDriftBeyondTheBound() {
    assertFindsViolations(LeaseSimulation.Config.defaults().withMaxClockRateError(0.5));
  }

  /** Each rule of the safety argument, broken on purpose, is caught by the simulation. */
  @ParameterizedTest
  @EnumSource(
      value = LeaseSimulation.Breakage.class,
      mode = EnumSource.Mode.EXCLUDE,
      names = "NONE")
  void findsViolationsWhenARuleIsBroken(LeaseSimulation.Breakage breakage) {
    assertFindsViolations(LeaseSimulation.Config.defaults().with(breakage));
  }

  /**
   * Searches seeds until one finds a violation. Most breakages show within a few seeds; a leader
   * that stops withholding needs an old primary to come back exactly while a slow failover commits,
   * which may take a thousand.
   */
  private static void assertFindsViolations(LeaseSimulation.Config broken) {
    for (long seed = 0; seed < 3000; seed++) {
      if (new LeaseSimulation(seed, broken).run().violation().isPresent()) {
        return;
      }
    }
    fail("no violation in 3000 seeds of " + broken);
  }
}
