package io.multiconnect.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApiKeyTest {
  @Test
  void aKeyIsTwelveToOneHundredTwentyEightCharacters() {
    assertEquals(Optional.empty(), ApiKey.fromEnv(Map.of()));
    assertEquals(Optional.empty(), ApiKey.of(""));
    assertTrue(ApiKey.of("x".repeat(12)).isPresent());
    assertTrue(ApiKey.of("x".repeat(128)).isPresent());
    IllegalArgumentException shortKey =
        assertThrows(IllegalArgumentException.class, () -> ApiKey.of("x".repeat(11)));
    assertEquals("WA_API_KEY: must be 12-128 characters", shortKey.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ApiKey.of("x".repeat(129)));
  }

  @Test
  void onlyTheApikeySchemeWithTheSameKeyMatches() {
    ApiKey key = ApiKey.of("the-key-0123456").orElseThrow();
    assertTrue(key.matches("Apikey the-key-0123456"));
    assertTrue(key.matches("Apikey  the-key-0123456 "));
    assertFalse(key.matches("Apikey the-key-012345"));
    assertFalse(key.matches("Bearer the-key-0123456"));
    assertFalse(key.matches(null));
    assertTrue(ApiKey.offered("Apikey nonsense"));
    assertFalse(ApiKey.offered("Basic abc"));
  }
}
