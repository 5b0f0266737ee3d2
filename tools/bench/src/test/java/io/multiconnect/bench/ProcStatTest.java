package io.multiconnect.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
