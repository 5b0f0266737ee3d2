package io.multiconnect.master.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.auth.Tokens;
import io.multiconnect.master.auth.Passwords;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdminAuthTest {
  private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  private static final String KEY = Tokens.newSigningKey();

  private static final ClusterState FRESH =
      ClusterState.INITIAL.apply(new Command.InitAuth(KEY, Passwords.hash("secret")), 1);
  private static final ClusterState CHANGED =
      FRESH.apply(new Command.PutUser("admin", Passwords.hash("N3w!secret"), false), 2);

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String bearer(String user, Duration validFor) {
    Duration lifetime = Duration.ofHours(1);
    return "Bearer " + Tokens.issue(KEY, user, NOW.plus(validFor).minus(lifetime), lifetime);
  }

  @Test
  void acceptsATokenOrTheCurrentPassword() {
    assertEquals(
        Optional.empty(), AdminAuth.check(CHANGED, bearer("admin", Duration.ofHours(1)), NOW));
    assertEquals(Optional.empty(), AdminAuth.check(CHANGED, basic("admin", "N3w!secret"), NOW));
  }

  @Test
  void refusesEverythingElseWithAReason() {
    assertEquals(
        "credentials required: set MC_ADMIN_TOKEN, or MC_ADMIN_USER and MC_ADMIN_PASSWORD",
        AdminAuth.check(CHANGED, null, NOW).orElseThrow());
    assertEquals(
        "invalid or expired token (log in again)",
        AdminAuth.check(CHANGED, bearer("admin", Duration.ofSeconds(-1)), NOW).orElseThrow());
    assertEquals(
        "invalid or expired token (log in again)",
        AdminAuth.check(CHANGED, bearer("nobody", Duration.ofHours(1)), NOW).orElseThrow());
    assertEquals(
        "invalid or expired token (log in again)",
        AdminAuth.check(CHANGED, "Bearer forged.token", NOW).orElseThrow());
    assertEquals(
        "wrong username or password",
        AdminAuth.check(CHANGED, basic("admin", "secret"), NOW).orElseThrow());
    assertEquals(
        "wrong username or password",
        AdminAuth.check(CHANGED, basic("nobody", "x"), NOW).orElseThrow());
    assertEquals(
        "the password of 'admin' must be changed first (mcctl login --new-password-file FILE)",
        AdminAuth.check(FRESH, basic("admin", "secret"), NOW).orElseThrow());
    assertEquals(
        "malformed Basic credentials", AdminAuth.check(CHANGED, "Basic %%%", NOW).orElseThrow());
    assertEquals(
        "unsupported authorization scheme (use Bearer or Basic)",
        AdminAuth.check(CHANGED, "Digest x", NOW).orElseThrow());
  }
}
