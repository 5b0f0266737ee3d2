package io.multiconnect.dataplane.coreapp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RegistrationTest {
  private final Registration registration = new Registration();

  @Test
  void onlyAStateThatIncludesThisProcesssRegistrationCanSayItWasSuperseded() {
    assertTrue(registration.begin());
    assertFalse(registration.begin(), "one registration in flight at a time");
    assertFalse(registration.supersededBy(40), "not registered yet: register, do not exit");
    registration.confirmed(42);
    // A heartbeat sent before the registration committed, answered from the state before it.
    assertFalse(registration.supersededBy(41));
    assertTrue(registration.supersededBy(42));
    assertTrue(registration.supersededBy(57));
  }

  @Test
  void aFailedRegistrationCanBeSentAgain() {
    assertTrue(registration.begin());
    registration.failed();
    assertTrue(registration.begin());
  }
}
