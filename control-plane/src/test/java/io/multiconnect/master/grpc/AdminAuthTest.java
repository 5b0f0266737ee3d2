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
      FRESH
          .apply(new Command.PutUser("admin", Passwords.hash("N3w!secret"), false), 2)
          .apply(new Command.PutUser("alice", Passwords.hash("Al1ce!pass"), false), 3);

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** A token of {@code user} issued under the credentials {@code state} holds for it. */
  private static String bearer(ClusterState state, String user, Duration validFor) {
    Duration lifetime = Duration.ofHours(1);
    long generation =
        state.users().containsKey(user) ? state.users().get(user).credentialsIndex() : 0;
    return "Bearer "
        + Tokens.issue(KEY, user, generation, NOW.plus(validFor).minus(lifetime), lifetime);
  }

  /** Why {@code authorization} is refused, or empty when it authenticates. */
  private static Optional<String> refusal(ClusterState state, String authorization) {
    return AdminAuth.check(state, authorization, NOW) instanceof AdminAuth.Check.Refused r
        ? Optional.of(r.reason())
        : Optional.empty();
  }

  private static String tokenOf(String bearer) {
    return bearer.substring("Bearer ".length());
  }

  @Test
  void acceptsATokenOrTheCurrentPasswordAndNamesTheCaller() {
    String token = bearer(CHANGED, "alice", Duration.ofHours(1));
    AdminAuth.Check checked = AdminAuth.check(CHANGED, token, NOW);
    AdminAuth.Caller caller = ((AdminAuth.Check.Accepted) checked).caller();
    assertEquals("alice", caller.username());
    assertEquals(Tokens.verify(CHANGED.tokenPublicKeys(), tokenOf(token), NOW), caller.token());
    assertEquals(
        new AdminAuth.Check.Accepted(new AdminAuth.Caller("admin", Optional.empty())),
        AdminAuth.check(CHANGED, basic("admin", "N3w!secret"), NOW));
  }

  @Test
  void aPasswordChangeRevokesEveryTokenOfThatUserOnly() {
    String alice = bearer(CHANGED, "alice", Duration.ofHours(1));
    String admin = bearer(CHANGED, "admin", Duration.ofHours(1));
    ClusterState changed =
        CHANGED.apply(new Command.PutUser("alice", Passwords.hash("An0ther!pass"), false), 4);
    assertEquals(
        Optional.of("the token was revoked: its user's password changed since (log in again)"),
        refusal(changed, alice));
    assertEquals(Optional.empty(), refusal(changed, admin));
    assertEquals(Optional.empty(), refusal(changed, bearer(changed, "alice", Duration.ofHours(1))));
  }

  @Test
  void aLogoutRevokesTheOneTokenItCarried() {
    String first = bearer(CHANGED, "alice", Duration.ofHours(1));
    String second = bearer(CHANGED, "alice", Duration.ofHours(1));
    Tokens.Token t = Tokens.verify(CHANGED.tokenPublicKeys(), tokenOf(first), NOW).orElseThrow();
    ClusterState out =
        CHANGED.apply(new Command.RevokeToken("alice", t.id(), t.expiresAt(), NOW), 4);
    assertEquals(Optional.of("the token was revoked (logged out)"), refusal(out, first));
    assertEquals(Optional.empty(), refusal(out, second));
  }

  @Test
  void aDeletedUsersTokensStayRevokedWhenTheNameIsTakenAgain() {
    String old = bearer(CHANGED, "alice", Duration.ofHours(1));
    ClusterState deleted = CHANGED.apply(new Command.DeleteUser("alice"), 4);
    assertEquals(Optional.of("the token's user no longer exists"), refusal(deleted, old));
    ClusterState again =
        deleted.apply(new Command.PutUser("alice", Passwords.hash("Al1ce!pass"), false), 5);
    assertEquals(
        Optional.of("the token was revoked: its user's password changed since (log in again)"),
        refusal(again, old));
  }

  @Test
  void refusesEverythingElseWithAReason() {
    assertEquals(
        Optional.of(
            "credentials required: set MC_ADMIN_TOKEN, or MC_ADMIN_USER and MC_ADMIN_PASSWORD"),
        refusal(CHANGED, null));
    assertEquals(
        Optional.of("invalid or expired token (log in again)"),
        refusal(CHANGED, bearer(CHANGED, "admin", Duration.ofSeconds(-1))));
    assertEquals(
        Optional.of("the token's user no longer exists"),
        refusal(CHANGED, bearer(CHANGED, "nobody", Duration.ofHours(1))));
    assertEquals(
        Optional.of("invalid or expired token (log in again)"),
        refusal(CHANGED, "Bearer forged.token"));
    assertEquals(
        Optional.of("wrong username or password"), refusal(CHANGED, basic("admin", "secret")));
    assertEquals(Optional.of("wrong username or password"), refusal(CHANGED, basic("nobody", "x")));
    assertEquals(
        Optional.of(
            "the password of 'admin' must be changed first (mcctl login --new-password-file FILE)"),
        refusal(FRESH, basic("admin", "secret")));
    assertEquals(Optional.of("malformed Basic credentials"), refusal(CHANGED, "Basic %%%"));
    assertEquals(
        Optional.of("unsupported authorization scheme (use Bearer or Basic)"),
        refusal(CHANGED, "Digest x"));
  }
}
