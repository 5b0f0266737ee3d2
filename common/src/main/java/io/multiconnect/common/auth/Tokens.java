package io.multiconnect.common.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * API tokens: JWS (ES256, through Nimbus JOSE+JWT) with {@code sub} the username, {@code jti} a
 * random id (a logout revokes that one token), {@code gen} the Raft index of the entry that last
 * set the user's password (a password change or a deletion revokes every older token: {@link
 * ApiAccess}), {@code iat} and {@code exp}, signed with the cluster's signing key, which only the
 * masters hold (it is in their replicated state, never sent to another node). Webapps verify with
 * the public keys, which reach them over the authenticated Watch stream and the mirror: a webapp,
 * or anyone who reads the mirror, can check a token but cannot make one.
 *
 * <p>A token is accepted only when its header names ES256 and a key of the set ({@code kid}), its
 * signature verifies, it has not expired, it was not issued in the future (more than {@link
 * #CLOCK_SKEW}), and it does not claim to last longer than {@link #DEFAULT_LIFETIME}.
 */
public final class Tokens {
  public static final Duration DEFAULT_LIFETIME = Duration.ofDays(7);

  /** How far a verifier's clock may be behind the issuing master's. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  /** The claim that carries the user's credentials index. */
  static final String GENERATION = "gen";

  private Tokens() {}

  /**
   * What a valid token says: who, under which credentials index ({@code generation}), its id, and
   * until when it is valid.
   */
  public record Token(String username, long generation, String id, Instant expiresAt) {}

  /**
   * The public half of a signing key a rotation replaced at {@code retiredAt}: it verifies only
   * tokens whose {@code iat} is not after that moment (to the second, as JWTs count), and it is
   * kept until the last of those has expired ({@link #stillNeeded}). A key that leaked can still
   * sign back-dated tokens until then: rotate with {@code --drop-previous} to refuse them at once.
   */
  public record RetiredKey(String publicJwk, Instant retiredAt) {
    /** Whether a token it signed can still be valid at {@code now}. */
    public boolean stillNeeded(Instant now) {
      return now.isBefore(retiredAt.plus(DEFAULT_LIFETIME));
    }
  }

  /** {@code signingKey}'s public half as a single JWK (JSON), for a {@link RetiredKey}. */
  public static String publicJwk(String signingKey) {
    return signing(signingKey)
        .map(k -> k.toPublicJWK().toJSONString())
        .orElseThrow(() -> new IllegalArgumentException("not a signing key"));
  }

  /** The key id of a signing key, or empty. */
  public static Optional<String> keyId(String signingKey) {
    return signing(signingKey).map(ECKey::getKeyID);
  }

  /** The key id of a public JWK (JSON), as a {@link RetiredKey} holds it. */
  public static String keyIdOfPublic(String publicJwk) {
    try {
      return JWK.parse(publicJwk).getKeyID();
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a JWK", e);
    }
  }

  /** A new signing key: a P-256 key pair with a random key id, as a private JWK (JSON). */
  public static String newSigningKey() {
    try {
      return new ECKeyGenerator(Curve.P_256)
          .keyID(UUID.randomUUID().toString())
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256)
          .generate()
          .toJSONString();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot make a P-256 key", e);
    }
  }

  /**
   * Whether {@code key} is a signing key of this kind (a private P-256 JWK); a key from before
   * ES256 tokens (a bare HMAC secret) is not.
   */
  public static boolean isSigningKey(String key) {
    return signing(key).isPresent();
  }

  /** The public half of {@code signingKey} as a JWK set (JSON); empty when it is none. */
  public static String publicKeys(String signingKey) {
    return publicKeys(signingKey, List.of());
  }

  /**
   * The public halves of {@code signingKey} and of the {@code retired} keys as one JWK set (JSON);
   * a retired key carries its retirement as the JWK's {@code exp} (the last moment it signed).
   * Empty when there is no signing key.
   */
  public static String publicKeys(String signingKey, List<RetiredKey> retired) {
    Optional<ECKey> current = signing(signingKey);
    if (current.isEmpty()) {
      return "";
    }
    List<JWK> keys = new ArrayList<>();
    keys.add(current.get().toPublicJWK());
    for (RetiredKey r : retired) {
      try {
        keys.add(
            new ECKey.Builder(ECKey.parse(r.publicJwk()))
                .expirationTime(Date.from(r.retiredAt()))
                .build());
      } catch (ParseException e) {
        throw new IllegalStateException("a retired token key is no JWK", e);
      }
    }
    return new JWKSet(keys).toString();
  }

  /**
   * A token for {@code username} under its credentials index {@code generation}, valid from {@code
   * issuedAt} for {@code lifetime}.
   */
  public static String issue(
      String signingKey, String username, long generation, Instant issuedAt, Duration lifetime) {
    if (lifetime.compareTo(DEFAULT_LIFETIME) > 0 || lifetime.isNegative()) {
      throw new IllegalArgumentException("a token lasts at most " + DEFAULT_LIFETIME);
    }
    ECKey key =
        signing(signingKey)
            .orElseThrow(() -> new IllegalStateException("no ES256 signing key in the state"));
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
            new JWTClaimsSet.Builder()
                .subject(username)
                .jwtID(UUID.randomUUID().toString())
                .claim(GENERATION, generation)
                .issueTime(Date.from(issuedAt))
                .expirationTime(Date.from(issuedAt.plus(lifetime)))
                .build());
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
    return jwt.serialize();
  }

  /**
   * What {@code token} says, if it is one of these public keys' (a JWK set, as {@link
   * #publicKeys}), correctly signed and valid at {@code now}. Whether it was revoked is {@link
   * ApiAccess}'s to say.
   */
  public static Optional<Token> verify(String publicKeys, String token, Instant now) {
    try {
      JWKSet keys = JWKSet.parse(publicKeys);
      SignedJWT jwt = SignedJWT.parse(token);
      if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())) {
        return Optional.empty();
      }
      JWK jwk = keys.getKeyByKeyId(jwt.getHeader().getKeyID());
      if (!(jwk instanceof ECKey ec) || ec.isPrivate()) {
        return Optional.empty();
      }
      if (!jwt.verify(new ECDSAVerifier(ec))) {
        return Optional.empty();
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      Date issued = claims.getIssueTime();
      Date expires = claims.getExpirationTime();
      String subject = claims.getSubject();
      String id = claims.getJWTID();
      Long generation = claims.getLongClaim(GENERATION);
      if (issued == null
          || expires == null
          || subject == null
          || subject.isEmpty()
          || id == null
          || generation == null) {
        return Optional.empty();
      }
      Instant iat = issued.toInstant();
      Instant exp = expires.toInstant();
      Date retired = ec.getExpirationTime();
      boolean valid =
          now.isBefore(exp)
              && !iat.isAfter(now.plus(CLOCK_SKEW))
              && !exp.isAfter(iat.plus(DEFAULT_LIFETIME))
              && (retired == null || !iat.isAfter(retired.toInstant()));
      return valid ? Optional.of(new Token(subject, generation, id, exp)) : Optional.empty();
    } catch (ParseException | JOSEException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<ECKey> signing(String key) {
    if (key == null || key.isBlank() || !key.trim().startsWith("{")) {
      return Optional.empty();
    }
    try {
      JWK jwk = JWK.parse(key);
      return jwk instanceof ECKey ec && ec.isPrivate() && Curve.P_256.equals(ec.getCurve())
          ? Optional.of(ec)
          : Optional.empty();
    } catch (ParseException e) {
      return Optional.empty();
    }
  }
}
