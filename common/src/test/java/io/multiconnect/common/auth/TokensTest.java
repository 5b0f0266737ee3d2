package io.multiconnect.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokensTest {
  private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
  private static final String KEY = Tokens.newSigningKey();
  private static final String PUBLIC = Tokens.publicKeys(KEY);

  /** A token signed with {@code key} by hand, with these claims and this algorithm. */
  private static String signed(String key, String alg, Instant iat, Instant exp) throws Exception {
    ECKey ec = ECKey.parse(key);
    JWSAlgorithm algorithm = JWSAlgorithm.parse(alg);
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(algorithm).keyID(ec.getKeyID()).build(),
            new JWTClaimsSet.Builder()
                .subject("admin")
                .jwtID("t1")
                .claim(Tokens.GENERATION, 7L)
                .issueTime(Date.from(iat))
                .expirationTime(Date.from(exp))
                .build());
    if (algorithm.equals(JWSAlgorithm.HS256)) {
      // The classic confusion: the public key, as published, used as an HMAC secret.
      byte[] secret = (PUBLIC + PUBLIC).getBytes(StandardCharsets.UTF_8);
      jwt.sign(new MACSigner(secret));
    } else {
      jwt.sign(new ECDSASigner(ec));
    }
    return jwt.serialize();
  }

  @Test
  void aTokenVerifiesWithThePublicKeysUntilItExpires() {
    String token = Tokens.issue(KEY, "alice", 7, NOW, Duration.ofHours(1));
    assertEquals(
        Optional.of("alice"), Tokens.verify(PUBLIC, token, NOW).map(Tokens.Token::username));
    assertEquals(
        Optional.of("alice"),
        Tokens.verify(PUBLIC, token, NOW.plus(Duration.ofMinutes(59))).map(Tokens.Token::username));
    assertEquals(Optional.empty(), Tokens.verify(PUBLIC, token, NOW.plus(Duration.ofHours(1))));
  }

  @Test
  void aTokenSaysWhoUnderWhichCredentialsAndUntilWhen() {
    Tokens.Token a =
        Tokens.verify(PUBLIC, Tokens.issue(KEY, "alice", 7, NOW, Duration.ofHours(1)), NOW)
            .orElseThrow();
    Tokens.Token b =
        Tokens.verify(PUBLIC, Tokens.issue(KEY, "alice", 7, NOW, Duration.ofHours(1)), NOW)
            .orElseThrow();
    assertEquals(7, a.generation());
    assertEquals(NOW.plus(Duration.ofHours(1)), a.expiresAt());
    assertNotEquals(a.id(), b.id(), "every token has an id of its own: a logout revokes one");
  }

  /** Tokens from before revocation carry neither: their users log in again after the upgrade. */
  @Test
  void aTokenWithoutAnIdOrCredentialsIndexIsRefused() throws Exception {
    ECKey ec = ECKey.parse(KEY);
    for (JWTClaimsSet.Builder claims :
        List.of(
            new JWTClaimsSet.Builder().jwtID("t1"),
            new JWTClaimsSet.Builder().claim(Tokens.GENERATION, 7L))) {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(ec.getKeyID()).build(),
              claims
                  .subject("alice")
                  .issueTime(Date.from(NOW))
                  .expirationTime(Date.from(NOW.plusSeconds(60)))
                  .build());
      jwt.sign(new ECDSASigner(ec));
      assertEquals(Optional.empty(), Tokens.verify(PUBLIC, jwt.serialize(), NOW));
    }
  }

  @Test
  void thePublicKeysCannotSign() throws Exception {
    JWKSet set = JWKSet.parse(PUBLIC);
    assertEquals(1, set.getKeys().size());
    assertFalse(set.getKeys().get(0).isPrivate());
    assertFalse(Tokens.isSigningKey(PUBLIC));
    assertFalse(Tokens.isSigningKey(set.getKeys().get(0).toJSONString()));
    assertTrue(Tokens.isSigningKey(KEY));
  }

  @Test
  void tokensOfAnotherKeyOrAlgorithmOrTamperedAreRefused() throws Exception {
    String other = Tokens.newSigningKey();
    assertEquals(
        Optional.empty(),
        Tokens.verify(PUBLIC, Tokens.issue(other, "alice", 7, NOW, Duration.ofHours(1)), NOW));
    String token = Tokens.issue(KEY, "alice", 7, NOW, Duration.ofHours(1));
    String[] parts = token.split("\\.");
    String otherUser =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                ("{\"sub\":\"admin\",\"iat\":"
                        + NOW.getEpochSecond()
                        + ",\"exp\":"
                        + (NOW.getEpochSecond() + 3600)
                        + "}")
                    .getBytes(StandardCharsets.UTF_8));
    assertEquals(
        Optional.empty(), Tokens.verify(PUBLIC, parts[0] + "." + otherUser + "." + parts[2], NOW));
    assertEquals(
        Optional.empty(),
        Tokens.verify(PUBLIC, signed(KEY, "HS256", NOW, NOW.plusSeconds(60)), NOW));
    String unsigned =
        new PlainJWT(
                new JWTClaimsSet.Builder()
                    .subject("admin")
                    .issueTime(Date.from(NOW))
                    .expirationTime(Date.from(NOW.plusSeconds(60)))
                    .build())
            .serialize();
    assertEquals(Optional.empty(), Tokens.verify(PUBLIC, unsigned, NOW));
    assertEquals(Optional.empty(), Tokens.verify(PUBLIC, "not.a.token", NOW));
    assertEquals(Optional.empty(), Tokens.verify("", token, NOW));
    assertEquals(
        Optional.empty(), Tokens.verify(KEY, token, NOW), "a private set is no public set");
  }

  @Test
  void aTokenMayNotOutliveTheLifetimeNorComeFromTheFuture() throws Exception {
    Instant exp = NOW.plus(Tokens.DEFAULT_LIFETIME).plusSeconds(1);
    assertEquals(Optional.empty(), Tokens.verify(PUBLIC, signed(KEY, "ES256", NOW, exp), NOW));
    Instant later = NOW.plus(Duration.ofMinutes(5));
    assertEquals(
        Optional.empty(),
        Tokens.verify(PUBLIC, signed(KEY, "ES256", later, later.plusSeconds(60)), NOW));
    Instant skewed = NOW.plusSeconds(30);
    assertEquals(
        Optional.of("admin"),
        Tokens.verify(PUBLIC, signed(KEY, "ES256", skewed, skewed.plusSeconds(60)), NOW)
            .map(Tokens.Token::username),
        "a verifier's clock a little behind");
    assertThrows(
        IllegalArgumentException.class,
        () -> Tokens.issue(KEY, "alice", 7, NOW, Tokens.DEFAULT_LIFETIME.plusSeconds(1)));
  }

  /**
   * After a rotation the old key's public half verifies the tokens it signed before, and only
   * those: a leaked old key cannot sign new ones.
   */
  @Test
  void aRetiredKeyVerifiesOnlyTokensIssuedBeforeItsRetirement() throws Exception {
    String next = Tokens.newSigningKey();
    Instant rotated = NOW.plus(Duration.ofHours(2));
    String keys =
        Tokens.publicKeys(next, List.of(new Tokens.RetiredKey(Tokens.publicJwk(KEY), rotated)));
    assertEquals(2, JWKSet.parse(keys).getKeys().size());
    Instant later = rotated.plus(Duration.ofHours(1));
    String old = Tokens.issue(KEY, "alice", 7, NOW, Duration.ofDays(1));
    assertEquals(Optional.of("alice"), Tokens.verify(keys, old, later).map(Tokens.Token::username));
    String forgedAfter = Tokens.issue(KEY, "admin", 7, later, Duration.ofHours(1));
    assertEquals(Optional.empty(), Tokens.verify(keys, forgedAfter, later));
    String fresh = Tokens.issue(next, "bob", 7, later, Duration.ofHours(1));
    assertEquals(Optional.of("bob"), Tokens.verify(keys, fresh, later).map(Tokens.Token::username));
    Tokens.RetiredKey retired = new Tokens.RetiredKey(Tokens.publicJwk(KEY), rotated);
    assertTrue(retired.stillNeeded(rotated.plus(Tokens.DEFAULT_LIFETIME).minusSeconds(1)));
    assertFalse(retired.stillNeeded(rotated.plus(Tokens.DEFAULT_LIFETIME)));
  }

  @Test
  void aKeyFromBeforeEs256IsNoSigningKey() {
    String hmac = Base64.getEncoder().encodeToString(new byte[32]);
    assertFalse(Tokens.isSigningKey(hmac));
    assertEquals("", Tokens.publicKeys(hmac));
    assertThrows(
        IllegalStateException.class, () -> Tokens.issue(hmac, "a", 7, NOW, Duration.ofHours(1)));
  }
}
