package io.multiconnect.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcStatTest {
  @Test
  void readsUserAndSystemTimeAfterACommandNameWithSpacesAndParentheses() {
    String stat =
        "4242 (java (c1) x) S 1 4242 4242 0 -1 4194560 12000 0 3 0 1234 567 0 0 20 0 45 0 9876"
            + " 3000000000 50000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
    assertEquals(1234 + 567, ProcStat.cpuTicks(stat));
  }

  @Test
  void percentOfOneCore() {
    assertEquals(2.0, ProcStat.percentOfCore(100, 160, 30.0), 1e-9);
    assertEquals(2.65, IdleFootprint.masterTarget(33), 1e-9);
  }

  @Test
  void schedstatGivesTimeOnACpuAndRuns() {
    assertEquals(new ProcStat.Runs(622656, 2), ProcStat.Runs.parse("622656 1000 2\n"));
    assertThrows(IllegalArgumentException.class, () -> ProcStat.Runs.parse("622656 2"));
  }

  @Test
  void onlyThreadsAliveAtBothReadingsAreCounted() {
    Map<String, ProcStat.Runs> before =
        Map.of("10 main", new ProcStat.Runs(100, 5), "11 gone", new ProcStat.Runs(50, 3));
    Map<String, ProcStat.Runs> after =
        Map.of("10 main", new ProcStat.Runs(400, 9), "12 new", new ProcStat.Runs(70, 1));
    assertEquals(Map.of("10 main", new ProcStat.Runs(300, 4)), ProcStat.between(before, after));
    assertEquals(
        "10 main 0.00 % 2.0/s", IdleFootprint.busiest(ProcStat.between(before, after), 2.0));
  }

  @Test
  void thisProcessHasThreadsThatRan() {
    Map<String, ProcStat.Runs> threads = ProcStat.threads(ProcessHandle.current().pid());
    assertTrue(
        threads.keySet().stream().anyMatch(t -> t.endsWith(" VM Thread")), threads::toString);
    assertTrue(threads.values().stream().allMatch(r -> r.runs() > 0 && r.cpuNanos() > 0));
  }
}
