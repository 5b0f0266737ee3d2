package io.multiconnect.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VerifiedTokensTest {
  private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
  private static final String KEY = Tokens.newSigningKey();

  @Test
  void aVerifiedTokenIsRememberedUntilItExpires() {
    VerifiedTokens tokens = new VerifiedTokens(Tokens.publicKeys(KEY));
    String token = Tokens.issue(KEY, "alice", 7, NOW, Duration.ofHours(1));
    Optional<Tokens.Token> first = tokens.verify(token, NOW);
    assertEquals(Optional.of("alice"), first.map(Tokens.Token::username));
    assertEquals(1, tokens.remembered());
    assertEquals(first, tokens.verify(token, NOW.plus(Duration.ofMinutes(59))));
    assertEquals(Optional.empty(), tokens.verify(token, NOW.plus(Duration.ofHours(1))), "expired");
  }

  @Test
  void whatFailsVerificationIsNotRemembered() {
    VerifiedTokens tokens = new VerifiedTokens(Tokens.publicKeys(KEY));
    String token = Tokens.issue(KEY, "alice", 7, NOW, Duration.ofHours(1));
    String tampered = token.substring(0, token.length() - 4) + "AAAA";
    assertEquals(Optional.empty(), tokens.verify(tampered, NOW));
    assertEquals(Optional.empty(), tokens.verify("not a token", NOW));
    assertEquals(0, tokens.remembered());
  }

  @Test
  void aTokenOfAKeyNoLongerInTheSetIsRefusedByTheNewSetsInstance() {
    String next = Tokens.newSigningKey();
    String token = Tokens.issue(KEY, "alice", 7, NOW, Duration.ofHours(1));
    VerifiedTokens before = new VerifiedTokens(Tokens.publicKeys(KEY));
    assertTrue(before.verify(token, NOW).isPresent());
    VerifiedTokens after = new VerifiedTokens(Tokens.publicKeys(next));
    assertEquals(Optional.empty(), after.verify(token, NOW));
  }

  @Test
  void itRemembersABoundedNumberOfTokens() {
    VerifiedTokens tokens = new VerifiedTokens(Tokens.publicKeys(KEY), 3);
    for (int i = 0; i < 7; i++) {
      String token = Tokens.issue(KEY, "user" + i, 7, NOW, Duration.ofHours(1));
      assertTrue(tokens.verify(token, NOW).isPresent());
      assertTrue(tokens.remembered() <= 3, "remembered " + tokens.remembered());
    }
  }
}
