package io.multiconnect.master.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWKSet;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.Revocation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClusterStateTest {

  private static ClusterState applyAll(List<Command> commands) {
    ClusterState s = ClusterState.INITIAL;
    long index = 0;
    for (Command c : commands) {
      s = s.apply(c, ++index);
    }
    return s;
  }

  /** A random but valid-looking mix of every command kind, some of them stale or invalid. */
  private static List<Command> randomCommands(long seed, int count) {
    Random r = new Random(seed);
    int[] counts = {1, 2, 4, 8, 3};
    List<Command> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = "c" + r.nextInt(6);
      String incarnation = "i" + r.nextInt(2);
      out.add(
          switch (r.nextInt(11)) {
            case 0 ->
                new Command.RegisterCoreapp(id, incarnation, "127.0.0.1:" + (7000 + r.nextInt(6)));
            case 1 -> new Command.SetShardCount(counts[r.nextInt(counts.length)]);
            case 2 -> new Command.AssignPrimary(r.nextInt(8), id, r.nextInt(4));
            case 3 -> new Command.RemovePrimary(r.nextInt(8), r.nextInt(4));
            case 4 -> new Command.ConfirmRelease(id, incarnation, r.nextInt(6), r.nextBoolean());
            case 5 -> new Command.ExpireRevocation(id, r.nextInt(6));
            case 6 -> new Command.MovePrimary(r.nextInt(8), id, r.nextInt(4));
            case 7 -> new Command.SetDrained(id, r.nextBoolean());
            case 9 -> new Command.DeregisterCoreapp(id, incarnation);
            case 8 ->
                new Command.ConfirmRelease(
                    id,
                    incarnation,
                    r.nextInt(6),
                    r.nextBoolean(),
                    List.of(new Command.AssignPrimary(r.nextInt(8), "c" + r.nextInt(6), 0)));
            default ->
                new Command.UpdateSettings(
                    Duration.ofMillis(100 + r.nextInt(900)), Duration.ofSeconds(1 + r.nextInt(8)));
          });
    }
    return out;
  }

  /**
   * A cluster from before ES256 tokens has a bare HMAC secret: a signing key replaces it once, and
   * the users stay; a signing key is never replaced this way, and nothing but a private P-256 JWK
   * is taken. (An older log's second InitAuth stays refused.)
   */
  @Test
  void aKeyFromBeforeEs256TokensIsReplacedOnceByASigningKey() {
    ClusterState legacy =
        ClusterState.INITIAL.apply(new Command.InitAuth("c2VjcmV0LWtleQ==", "$2a$hash"), 1);
    String signing = Tokens.newSigningKey();
    assertTrue(legacy.validate(new Command.SetTokenKey(signing)).isEmpty());
    ClusterState replaced = legacy.apply(new Command.SetTokenKey(signing), 2);
    assertEquals(signing, replaced.tokenKey());
    assertEquals(legacy.users(), replaced.users());
    assertEquals(
        "token_key",
        replaced.validate(new Command.SetTokenKey(Tokens.newSigningKey())).orElseThrow().field());
    assertEquals(
        "token_key",
        legacy.validate(new Command.SetTokenKey(Tokens.publicKeys(signing))).orElseThrow().field());
    assertEquals(
        "token_key",
        ClusterState.INITIAL.validate(new Command.SetTokenKey(signing)).orElseThrow().field());
    assertEquals(
        "token_key",
        legacy.validate(new Command.InitAuth(signing, "$2a$hash")).orElseThrow().field());
  }

  /**
   * A rotation keeps the old key's public half for the tokens it signed, drops retired keys whose
   * tokens have all expired, and needs a new key id; a key from before ES256 is not rotated.
   */
  @Test
  void aRotationKeepsTheOldPublicKeyUntilItsTokensHaveExpired() throws Exception {
    String first = Tokens.newSigningKey();
    ClusterState s = ClusterState.INITIAL.apply(new Command.InitAuth(first, "$2a$hash"), 1);
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    String second = Tokens.newSigningKey();
    s = s.apply(new Command.RotateTokenKey(second, t0, false), 2);
    assertEquals(second, s.tokenKey());
    assertEquals(List.of(new Tokens.RetiredKey(Tokens.publicJwk(first), t0)), s.retiredTokenKeys());
    assertEquals(2, JWKSet.parse(s.tokenPublicKeys()).getKeys().size());
    assertEquals(
        "token_key",
        s.validate(new Command.RotateTokenKey(second, t0.plusSeconds(1), false))
            .orElseThrow()
            .field(),
        "the same key id again");
    Instant afterLifetime = t0.plus(Tokens.DEFAULT_LIFETIME);
    ClusterState third =
        s.apply(new Command.RotateTokenKey(Tokens.newSigningKey(), afterLifetime, false), 3);
    assertEquals(
        List.of(new Tokens.RetiredKey(Tokens.publicJwk(second), afterLifetime)),
        third.retiredTokenKeys(),
        "the first key's tokens have all expired");
    ClusterState dropped =
        s.apply(new Command.RotateTokenKey(Tokens.newSigningKey(), t0.plusSeconds(60), true), 3);
    assertEquals(List.of(), dropped.retiredTokenKeys(), "after a leak: no older key at all");
    ClusterState legacy =
        ClusterState.INITIAL.apply(new Command.InitAuth("c2VjcmV0LWtleQ==", "$2a$hash"), 1);
    assertEquals(
        "token_key",
        legacy.validate(new Command.RotateTokenKey(second, t0, false)).orElseThrow().field());
  }

  @Test
  void theSameCommandsAlwaysGiveTheSameState() {
    for (long seed = 0; seed < 200; seed++) {
      List<Command> commands = randomCommands(seed, 300);
      assertEquals(applyAll(commands), applyAll(commands), "seed " + seed);
    }
  }

  @Test
  void epochsStrictlyIncreaseAndAreNeverReused() {
    for (long seed = 0; seed < 200; seed++) {
      ClusterState s = ClusterState.INITIAL;
      long index = 0;
      List<Long> handedOut = new ArrayList<>();
      for (Command c : randomCommands(seed, 300)) {
        ClusterState next = s.apply(c, ++index);
        assertTrue(next.lastEpoch() >= s.lastEpoch(), "lastEpoch never goes back");
        for (Assignment a : next.assignments().values()) {
          if (!s.assignments().containsValue(a)) {
            assertTrue(a.epoch() > s.lastEpoch(), "a new assignment gets a fresh epoch");
            assertTrue(!handedOut.contains(a.epoch()), "epoch " + a.epoch() + " reused");
            handedOut.add(a.epoch());
          }
        }
        s = next;
      }
    }
  }

  /** A check of the state after command {@code c} of the random run {@code seed}. */
  private interface Invariant {
    void check(long seed, ClusterState s, Command c);
  }

  /** Checks {@code invariant} after every command of 200 random runs of 300 commands. */
  private static void afterEveryCommand(Invariant invariant) {
    for (long seed = 0; seed < 200; seed++) {
      ClusterState s = ClusterState.INITIAL;
      long index = 0;
      for (Command c : randomCommands(seed, 300)) {
        s = s.apply(c, ++index);
        invariant.check(seed, s, c);
      }
    }
  }

  @Test
  void noPrimaryEverServesRecipientsOfARevocationStillPending() {
    afterEveryCommand(
        (seed, s, c) -> {
          for (Revocation r : s.revocations()) {
            for (Assignment a : s.assignments().values()) {
              assertTrue(
                  !r.overlaps(a.shard(), s.shardCount()),
                  "seed " + seed + ": " + a + " overlaps " + r + " after " + c);
            }
          }
        });
  }

  @Test
  void everyShardEpochAndMoveBelongsToARegisteredCoreapp() {
    afterEveryCommand(
        (seed, s, c) -> {
          List<String> holders = new ArrayList<>(s.moves().values());
          s.assignments().values().forEach(a -> holders.add(a.coreappId()));
          s.revocations().forEach(r -> holders.add(r.coreappId()));
          assertTrue(
              s.coreapps().keySet().containsAll(holders),
              "seed " + seed + ": " + holders + " not all registered after " + c);
        });
  }

  @Test
  void aCoreappIdIsWhatACertificateCouldName() {
    for (String id : List.of("c1\nforged log line", "", "-c1", "x".repeat(65), "c1 c2")) {
      assertEquals(
          "coreapp_id",
          ClusterState.INITIAL
              .validate(new Command.RegisterCoreapp(id, "i-1", "127.0.0.1:7001"))
              .orElseThrow()
              .field(),
          id);
    }
    assertTrue(
        ClusterState.INITIAL
            .validate(new Command.RegisterCoreapp("core-1.eu_west", "i-1", "127.0.0.1:7001"))
            .isEmpty());
  }

  @Test
  void onlyTheRegisteredProcessHoldingNothingIsDeregistered() {
    ClusterState moved = movedFromAToB(); // a releasing epoch 1, b the move's target
    ClusterState s = moved.apply(new Command.RegisterCoreapp("c", "c-1", "127.0.0.1:7003"), 5);
    assertEquals(
        "coreapp 'a' has an epoch to release",
        s.validate(new Command.DeregisterCoreapp("a", "a-1")).orElseThrow().message());
    assertEquals(
        "coreapp 'b' is the target of a move",
        s.validate(new Command.DeregisterCoreapp("b", "b-1")).orElseThrow().message());
    assertEquals(
        "incarnation", s.validate(new Command.DeregisterCoreapp("c", "c-0")).orElseThrow().field());
    assertEquals(s.coreapps(), s.apply(new Command.DeregisterCoreapp("c", "c-0"), 6).coreapps());

    ClusterState assigned =
        s.apply(new Command.ConfirmRelease("a", "a-1", 1, false), 6)
            .apply(new Command.AssignPrimary(0, "b", 0), 7);
    assertEquals(
        "coreapp 'b' is primary of shard 0",
        assigned.validate(new Command.DeregisterCoreapp("b", "b-1")).orElseThrow().message());
    ClusterState forgotten = assigned.apply(new Command.DeregisterCoreapp("a", "a-1"), 8);
    assertEquals(List.of("b", "c"), List.copyOf(forgotten.coreapps().keySet()));
    assertEquals(assigned.assignments(), forgotten.assignments());
    assertEquals(8, forgotten.version());
  }

  /** a primary of shard 0 at epoch 1, moved to b: revoked, b reserved. */
  private static ClusterState movedFromAToB() {
    return applyAll(
        List.of(
            new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"),
            new Command.RegisterCoreapp("b", "b-1", "127.0.0.1:7002"),
            new Command.AssignPrimary(0, "a", 0),
            new Command.MovePrimary(0, "b", 1)));
  }

  @Test
  void aReleaseAppliesTheAssignmentsItCarriesInTheSameEntry() {
    ClusterState s =
        movedFromAToB()
            .apply(
                new Command.ConfirmRelease(
                    "a", "a-1", 1, false, List.of(new Command.AssignPrimary(0, "b", 0))),
                5);
    assertEquals(5, s.version());
    assertEquals(new Assignment(0, "b", 2), s.assignments().get(0));
    assertTrue(s.revocations().isEmpty() && s.moves().isEmpty());
  }

  @Test
  void anAssignmentCarriedByAReleaseThatFreesNothingIsANoOp() {
    ClusterState moved = movedFromAToB();
    ClusterState s =
        moved.apply(
            new Command.ConfirmRelease(
                "a", "a-1", 7, false, List.of(new Command.AssignPrimary(0, "b", 0))),
            5);
    assertEquals(moved.revocations(), s.revocations(), "epoch 7 is not a's: nothing released");
    assertTrue(s.assignments().isEmpty(), "shard 0 still overlaps a's pending revocation");
  }

  @Test
  void aReleaseMayOnlyCarryAssignmentsOfShardsWithoutPrimary() {
    ClusterState moved = movedFromAToB();
    Command.ConfirmRelease replacing =
        new Command.ConfirmRelease(
            "a", "a-1", 1, false, List.of(new Command.AssignPrimary(0, "b", 1)));
    assertEquals("then_assign", moved.validate(replacing).orElseThrow().field());
    assertEquals(moved.revocations(), moved.apply(replacing, 5).revocations());
  }

  /** a (process a-1) is primary of shard 0 with epoch 1; b is registered. */
  private static ClusterState aPrimary() {
    return applyAll(
        List.of(
            new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"),
            new Command.RegisterCoreapp("b", "b-1", "127.0.0.1:7002"),
            new Command.AssignPrimary(0, "a", 0)));
  }

  @Test
  void aNewProcessOfACoreappRevokesWhatThePreviousOneHeld() {
    ClusterState same = aPrimary().apply(new Command.RegisterCoreapp("a", "a-1", "h:2"), 4);
    assertEquals(new Assignment(0, "a", 1), same.assignments().get(0), "a re-registration");

    ClusterState restarted = aPrimary().apply(new Command.RegisterCoreapp("a", "a-2", "h:2"), 4);
    assertTrue(restarted.assignments().isEmpty());
    assertEquals(List.of(new Revocation("a", "a-1", 0, 1, 1)), restarted.revocations());
    assertEquals("a-2", restarted.coreapps().get("a").incarnation());
    assertEquals(Optional.of("a-1"), restarted.holderOf("a", 1));
    assertEquals(
        "shard",
        restarted.validate(new Command.AssignPrimary(0, "b", 0)).orElseThrow().field(),
        "no primary while the old process may still act");
  }

  @Test
  void onlyTheProcessThatHeldAnEpochCanReleaseIt() {
    Command.ConfirmRelease byTheNewProcess = new Command.ConfirmRelease("a", "a-2", 1, false);
    ClusterState primary = aPrimary();
    assertEquals("incarnation", primary.validate(byTheNewProcess).orElseThrow().field());
    assertEquals(primary.assignments(), primary.apply(byTheNewProcess, 4).assignments());

    ClusterState restarted = primary.apply(new Command.RegisterCoreapp("a", "a-2", "h:2"), 4);
    assertEquals("incarnation", restarted.validate(byTheNewProcess).orElseThrow().field());
    assertEquals(restarted.revocations(), restarted.apply(byTheNewProcess, 5).revocations());
    ClusterState released = restarted.apply(new Command.ConfirmRelease("a", "a-1", 1, false), 5);
    assertTrue(released.revocations().isEmpty(), "the old process released its epoch");
  }

  @Test
  void aLeavingReleaseOfTheOldProcessDoesNotDrainTheNewOne() {
    ClusterState s =
        aPrimary()
            .apply(new Command.RegisterCoreapp("a", "a-2", "h:2"), 4)
            .apply(new Command.ConfirmRelease("a", "a-1", 1, true), 5);
    assertTrue(s.revocations().isEmpty());
    assertTrue(!s.coreapps().get("a").drained() && s.isSpare("a"));
    ClusterState left = s.apply(new Command.ConfirmRelease("a", "a-2", 0, true), 6);
    assertTrue(left.coreapps().get("a").drained(), "the registered process leaving drains it");
  }

  @Test
  void settingsThatLeaveARegisteredCoreappNoTimeToActAreRefused() {
    // Defaults: heartbeat 1 s, unhealthy 5 s, so leases of 4 s.
    ClusterState s =
        applyAll(
            List.of(
                new Command.RegisterCoreapp("a", "a-1", "h:1", Duration.ofMillis(500)),
                new Command.RegisterCoreapp("b", "b-1", "h:2", Duration.ofMillis(2500))));
    Command tooShort = new Command.UpdateSettings(Duration.ofMillis(600), Duration.ofMillis(3500));
    Rejection r = s.validate(tooShort).orElseThrow();
    assertEquals("unhealthy_interval", r.field());
    assertEquals(
        "a lease of 2800 ms (unhealthy_interval 3500 ms) leaves coreapp 'b' 300 ms to act after"
            + " it stops 2500 ms early (MC_UPSTREAM_SILENCE_MS + MC_UPSTREAM_DELAY_MS); it needs"
            + " more than heartbeat_interval (600 ms)",
        r.message());
    assertEquals(s.settings(), s.apply(tooShort, 3).settings(), "a refused entry is a no-op");

    ClusterState drained = s.apply(new Command.SetDrained("b", true), 3);
    assertTrue(drained.validate(tooShort).isEmpty(), "a drained coreapp acts on nothing");
    ClusterState shorter = drained.apply(tooShort, 4);
    assertEquals(
        "coreapp_id", shorter.validate(new Command.SetDrained("b", false)).orElseThrow().field());
  }

  @Test
  void aCoreappWhoseMarginTheSettingsCannotFitIsNotRegistered() {
    Rejection r =
        ClusterState.INITIAL
            .validate(new Command.RegisterCoreapp("a", "a-1", "h:1", Duration.ofMillis(3000)))
            .orElseThrow();
    assertEquals("acting_margin", r.field());
    assertTrue(r.message().endsWith("raise unhealthy_interval first"), r.message());
    assertTrue(
        ClusterState.INITIAL
            .validate(new Command.RegisterCoreapp("a", "a-1", "h:1", Duration.ofMillis(2900)))
            .isEmpty());
  }

  @Test
  void anInvalidCommandChangesNothingButTheVersion() {
    ClusterState s = applyAll(List.of(new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001")));
    ClusterState after = s.apply(new Command.AssignPrimary(3, "a", 0), 2);
    assertEquals(2, after.version());
    assertEquals(s.assignments(), after.assignments());
    assertEquals(s.lastEpoch(), after.lastEpoch());
  }

  @Test
  void validationNamesTheField() {
    ClusterState s = ClusterState.INITIAL;
    assertEquals("shard_count", s.validate(new Command.SetShardCount(3)).orElseThrow().field());
    assertEquals("shard_count", s.validate(new Command.SetShardCount(-1)).orElseThrow().field());
    assertEquals(
        "coreapp_id", s.validate(new Command.AssignPrimary(0, "nobody", 0)).orElseThrow().field());
    assertEquals(
        "address",
        s.validate(new Command.RegisterCoreapp("a", "a-1", "no-port")).orElseThrow().field());
    assertEquals(
        "incarnation",
        s.validate(new Command.RegisterCoreapp("a", "", "h:1")).orElseThrow().field());
    assertEquals(
        "unhealthy_interval",
        s.validate(new Command.UpdateSettings(Duration.ofSeconds(1), Duration.ofSeconds(2)))
            .orElseThrow()
            .field());
    assertEquals(
        "heartbeat_interval",
        s.validate(new Command.UpdateSettings(Duration.ofMillis(10), Duration.ofSeconds(2)))
            .orElseThrow()
            .field());
  }

  @Test
  void growingTheShardCountOnlySplitsShards() {
    Revocation shard1Of2 = new Revocation("a", "a-1", 1, 2, 7);
    assertTrue(shard1Of2.overlaps(1, 4));
    assertTrue(shard1Of2.overlaps(3, 4));
    assertTrue(!shard1Of2.overlaps(0, 4));
    assertTrue(!shard1Of2.overlaps(2, 4));
    assertTrue(shard1Of2.overlaps(0, 1));
  }

  @Test
  void aSettleAppliesOnlyToTheSettingsItWasDecidedOn() {
    ClusterState s =
        applyAll(
            List.of(
                new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001"),
                new Command.AssignPrimary(0, "a", 0),
                new Command.UpdateSettings(Duration.ofMillis(200), Duration.ofSeconds(4))));
    long decidedOn = s.settingsVersion();
    assertEquals(3, decidedOn);
    s = s.apply(new Command.UpdateSettings(Duration.ofMillis(200), Duration.ofSeconds(1)), 4);
    assertEquals(Settings.DEFAULT_UNHEALTHY_INTERVAL, s.leaseBoundInterval());

    ClusterState late = s.apply(new Command.SettleSettings(decidedOn), 5);
    assertEquals(
        Settings.DEFAULT_UNHEALTHY_INTERVAL,
        late.leaseBoundInterval(),
        "decided before the second change: leases granted under 4 s were not waited out");
    assertEquals(5, late.version());
    assertEquals(
        Duration.ofSeconds(1),
        s.apply(new Command.SettleSettings(4), 5).leaseBoundInterval(),
        "decided on the current settings");
  }

  @Test
  void revokedTokensAreForgottenOnceExpiredAndBoundedPerUser() {
    Instant now = Instant.parse("2026-12-06T10:00:00Z");
    ClusterState s =
        ClusterState.INITIAL
            .apply(new Command.InitAuth(Tokens.newSigningKey(), "$2a$admin"), 1)
            .apply(new Command.PutUser("alice", "$2a$alice", false), 2)
            .apply(new Command.RevokeToken("alice", "short", now.plusSeconds(60), now), 3)
            .apply(
                new Command.RevokeToken(
                    "alice", "long", now.plusSeconds(3600), now.plusSeconds(61)),
                4);
    assertEquals(List.of("long"), List.copyOf(s.users().get("alice").revokedTokens().keySet()));
    assertEquals(2, s.users().get("alice").credentialsIndex());
    long index = 4;
    for (int i = 0; i < User.MAX_REVOKED_TOKENS; i++) {
      s = s.apply(new Command.RevokeToken("alice", "t" + i, now.plusSeconds(3600), now), ++index);
    }
    User alice = s.users().get("alice");
    assertEquals(index, alice.credentialsIndex(), "one logout too many revokes every token");
    assertTrue(alice.revokedTokens().isEmpty());
    assertEquals("$2a$alice", alice.passwordHash());
  }

  @Test
  void theAdminCannotBeDeletedNorAnUnknownUserRevoked() {
    ClusterState s =
        ClusterState.INITIAL.apply(new Command.InitAuth(Tokens.newSigningKey(), "$2a$admin"), 1);
    assertEquals(
        Optional.of(new Rejection("username", "the admin account cannot be deleted")),
        s.validate(new Command.DeleteUser("admin")));
    assertEquals(
        Optional.of(new Rejection("username", "unknown user 'bob'")),
        s.validate(new Command.DeleteUser("bob")));
    assertEquals(
        Optional.of(new Rejection("username", "unknown user 'bob'")),
        s.validate(new Command.RevokeToken("bob", "t", Instant.EPOCH, Instant.EPOCH)));
  }

  @Test
  void applicationSettingsAreCheckedWholeAndKeepWhatTheyDoNotName() {
    ClusterState s =
        ClusterState.INITIAL.apply(
            new Command.SetApplicationSettings(
                Map.of(
                    "webhooks.url",
                    "http://127.0.0.1:8080/hook",
                    "callback_backoff_delay_ms",
                    "500")),
            1);
    s = s.apply(new Command.SetApplicationSettings(Map.of("sent_status", "true")), 2);
    assertEquals(
        Map.of(
            "webhooks.url", "http://127.0.0.1:8080/hook",
            "callback_backoff_delay_ms", "500",
            "sent_status", "true"),
        s.application());
    for (Map.Entry<String, String> bad :
        Map.of(
                "webhook.url", "http://x",
                "webhooks.url", "ftp://x",
                "sent_status", "yes",
                "webhooks.max_concurrent_requests", "7",
                "media.auto_download", "image,fax",
                "max_callback_backoff_delay_ms", "499")
            .entrySet()) {
      assertEquals(
          bad.getKey(),
          s.validate(new Command.SetApplicationSettings(Map.of(bad.getKey(), bad.getValue())))
              .orElseThrow()
              .field(),
          bad.toString());
    }
    assertTrue(
        s.validate(new Command.SetApplicationSettings(Map.of("media.auto_download", ""))).isEmpty(),
        "no media downloaded automatically");
  }

  @Test
  void aRestoredBackupReplacesTheSettingsAndPutsItsUsersKeepingTheSameCredentials() {
    ClusterState s =
        ClusterState.INITIAL
            .apply(new Command.SetApplicationSettings(Map.of("sent_status", "true")), 1)
            .apply(new Command.PutUser("alice", "$2a$alice", false), 2)
            .apply(new Command.PutUser("bob", "$2a$bob", false), 3)
            .apply(new Command.PutUser("carol", "$2a$carol", false), 4);
    Command.RestoreBackup restore =
        new Command.RestoreBackup(
            Map.of("profile.about.text", "hi"),
            List.of(
                new Command.PutUser("alice", "$2a$alice", false),
                new Command.PutUser("bob", "$2a$bob-before", true),
                new Command.PutUser("dave", "$2a$dave", false)));
    assertTrue(s.validate(restore).isEmpty());
    ClusterState r = s.apply(restore, 9);
    assertEquals(Map.of("profile.about.text", "hi"), r.application(), "exactly the backup's");
    assertEquals(2, r.users().get("alice").credentialsIndex(), "same password: tokens stay");
    assertEquals(9, r.users().get("bob").credentialsIndex(), "another password: tokens revoked");
    assertTrue(r.users().get("bob").mustChangePassword());
    assertEquals(9, r.users().get("dave").credentialsIndex());
    assertTrue(r.users().containsKey("carol"), "a user the backup does not name stays");
    assertEquals(
        "sent_status",
        s.validate(new Command.RestoreBackup(Map.of("sent_status", "yes"), List.of()))
            .orElseThrow()
            .field());
    assertEquals(
        "username",
        s.validate(
                new Command.RestoreBackup(
                    Map.of(), List.of(new Command.PutUser("eve", "plain", false))))
            .orElseThrow()
            .field());
  }

  @Test
  void theClusterVersionIsOnlyRaised() {
    assertEquals(ClusterVersion.INITIAL, ClusterState.INITIAL.clusterVersion());
    assertEquals(
        "version",
        ClusterState.INITIAL
            .validate(new Command.SetClusterVersion(ClusterVersion.INITIAL))
            .orElseThrow()
            .field());
    ClusterState raised = ClusterState.INITIAL.apply(new Command.SetClusterVersion(3), 1);
    assertEquals(3, raised.clusterVersion());
    assertEquals(1, raised.version());
    // A lower version in the log (it cannot be proposed) changes nothing but the index.
    ClusterState after = raised.apply(new Command.SetClusterVersion(2), 2);
    assertEquals(3, after.clusterVersion());
    assertEquals(2, after.version());
  }
}
