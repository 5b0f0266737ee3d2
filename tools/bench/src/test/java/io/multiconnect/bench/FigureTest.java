package io.multiconnect.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class FigureTest {

  @Test
  void aFigureThatCouldNotBeMeasuredIsMissedWithItsReason() {
    Figure f = Figure.unmeasured("throughput", "java.lang.IllegalArgumentException: no values");
    assertFalse(f.met());
    assertEquals(
        "throughput                         -   target (any): MISSED  {not measured=java.lang"
            + ".IllegalArgumentException: no values}",
        f.line());
  }
}
