package io.multiconnect.common.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class WaIdsTest {
  @Test
  void everySpellingOfANumberIsItsDigits() {
    for (String to :
        new String[] {"15551234567", "+15551234567", "+1 (555) 123-4567", "1-555-123.4567"}) {
      assertEquals(Optional.of("15551234567"), WaIds.normalize(to), to);
    }
  }

  @Test
  void anythingElseIsNoRecipient() {
    for (String to :
        new String[] {
          "", "1234", "1".repeat(21), "++15551234567", "1555+1234567", "1555123456a", "１２３４５６７"
        }) {
      assertEquals(Optional.empty(), WaIds.normalize(to), to);
    }
  }
}
