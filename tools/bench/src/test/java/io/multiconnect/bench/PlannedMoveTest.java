package io.multiconnect.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlannedMoveTest {

  @Test
  void thePauseIsTheLongestGapBetweenAcceptedAnswersAfterTheStart() {
    List<Prober.Outcome> outcomes =
        List.of(
            new Prober.Outcome(0, 100, 201), // before the window: ignored
            new Prober.Outcome(0, 1_000, 201),
            new Prober.Outcome(0, 1_010, 503), // failed answers do not end a pause
            new Prober.Outcome(0, 1_300, 201),
            new Prober.Outcome(0, 1_350, 201));
    assertEquals(300, PlannedMove.longestGap(outcomes, 500));
  }

  @Test
  void noPauseWithFewerThanTwoAcceptedAnswers() {
    assertEquals(0, PlannedMove.longestGap(List.of(new Prober.Outcome(0, 10, 201)), 0));
  }
}
