package io.multiconnect.lab;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.multiconnect.common.auth.LoginThrottle;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.metrics.Scrape;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.LoginRequest;
import io.multiconnect.proto.v1.RotateTokenKeyRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every REST endpoint against a real cluster: the shapes of the On-Premises API, each bad input,
 * and each authentication failure, with the error body checked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("slow")
class RestContractTest {
  private static final String PASSWORD = "N3w!secret";
  private LocalCluster cluster;
  private Http http;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    cluster = new LocalCluster(dir);
    cluster
        .admin()
        .updateSettings(
            UpdateSettingsRequest.newBuilder()
                .setHeartbeatIntervalMs(200)
                .setUnhealthyIntervalMs(2000)
                .build());
    cluster.startCoreapp("c0");
    cluster.startCoreapp("c1");
    http = new Http(cluster.webapp.port());
    await().atMost(Duration.ofSeconds(15)).until(() -> !cluster.state().tokenKey().isEmpty());
    firstLogin();
  }

  @AfterAll
  void stop() throws InterruptedException {
    cluster.close();
  }

  private Http anonymous() {
    return new Http(cluster.webapp.port());
  }

  private Http loggedIn() throws Exception {
    Http h = anonymous();
    h.authorization = Http.basic("admin", PASSWORD);
    Http.Response r = h.call("POST", "/v1/users/login", null);
    assertEquals(200, r.status(), r.toString());
    h.authorization = "Bearer " + r.json().path("users").get(0).path("token").asText();
    return h;
  }

  /**
   * The first-login flow can run once per cluster, so it runs here: the default password works only
   * to set a new one that meets the policy.
   */
  private void firstLogin() throws Exception {
    Http h = anonymous();
    h.authorization = Http.basic("admin", "secret");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> h.call("POST", "/v1/users/login", null).status() != 503);
    assertError(h.call("POST", "/v1/users/login", null), 400, 1009, "must be changed");
    assertError(
        h.call("POST", "/v1/users/login", "{\"new_password\":\"short\"}"),
        400,
        1009,
        "new_password");
    assertError(
        h.call("POST", "/v1/users/login", "{\"new_password\":\"nodigits!Here\"}"),
        400,
        1009,
        "a digit");
    Http.Response r = h.call("POST", "/v1/users/login", "{\"new_password\":\"" + PASSWORD + "\"}");
    assertEquals(200, r.status(), r.toString());
    h.authorization = Http.basic("admin", "secret");
    assertError(h.call("POST", "/v1/users/login", null), 401, 1005, "wrong username or password");
  }

  /** Asserts an On-Premises error body with this HTTP status and code, naming {@code text}. */
  private static void assertError(Http.Response r, int status, int code, String text) {
    assertEquals(status, r.status(), r.toString());
    JsonNode e = r.json().path("errors").get(0);
    assertEquals(code, e.path("code").asInt(), r.toString());
    assertFalse(e.path("title").asText().isEmpty());
    assertTrue(e.path("details").asText().contains(text), r.toString());
    assertEquals("v1", r.json().path("meta").path("version").asText());
  }

  @Test
  void loginNeedsANewPasswordFirstThenGivesATokenThatExpires() throws Exception {
    Http h = anonymous();
    assertError(h.call("POST", "/v1/users/login", null), 401, 1005, "Basic");
    h.authorization = Http.basic("admin", "wrong");
    assertError(h.call("POST", "/v1/users/login", null), 401, 1005, "wrong username or password");
    Http http = loggedIn();
    assertTrue(http.authorization.startsWith("Bearer "));
    Http again = anonymous();
    again.authorization = Http.basic("admin", PASSWORD);
    Http.Response r = again.call("POST", "/v1/users/login", null);
    assertEquals(200, r.status());
    assertTrue(
        r.json()
            .path("users")
            .get(0)
            .path("expires_after")
            .asText()
            .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\+00:00"));
  }

  /**
   * Guessing passwords: after a few wrong ones in a row each attempt waits longer, first for a user
   * at the masters (whichever webapp or tool asks), then for a client address at the webapp, and
   * the answer says how long. Nothing is checked while a key waits, the right password included;
   * after the wait the right password works and clears the count.
   */
  @Test
  void repeatedWrongPasswordsWaitAndAreToldHowLong() throws Exception {
    LoginRequest guess =
        LoginRequest.newBuilder().setUsername("admin").setPassword("guess").build();
    LoginRequest right = guess.toBuilder().setPassword(PASSWORD).build();
    // The counts live on the leader: a sequence that a leader change cut short runs again.
    AtomicReference<Status> waiting = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              Optional<Status> answer = guessesAtTheLeader(guess, right);
              answer.ifPresent(waiting::set);
              return answer.isPresent();
            });
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, waiting.get().getCode(), waiting.toString());
    assertTrue(waiting.get().getDescription().contains("retry in 1 s"), waiting.toString());
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> !cluster.admin().login(right).getToken().isEmpty());

    loggedIn(); // this address's earlier wrong passwords are forgotten
    Http h = anonymous();
    h.authorization = Http.basic("someone", "guess");
    for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
      assertError(h.call("POST", "/v1/users/login", null), 401, 1005, "wrong username or password");
    }
    Http.Response r = h.call("POST", "/v1/users/login", null);
    assertError(r, 429, 1015, "too many failed logins from");
    assertEquals("1", r.header("Retry-After"), r.toString());
    Http admin = anonymous();
    admin.authorization = Http.basic("admin", PASSWORD);
    assertEquals(429, admin.call("POST", "/v1/users/login", null).status(), "same address");
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> admin.call("POST", "/v1/users/login", null).status() == 200);
  }

  /**
   * After a key rotation a webapp accepts both the tokens issued before (until they expire) and the
   * new key's, whose public half reached it over the Watch stream.
   */
  @Test
  void aKeyRotationReachesTheWebappAndKeepsEarlierTokens() throws Exception {
    Http before = loggedIn();
    cluster.admin().rotateTokenKey(RotateTokenKeyRequest.getDefaultInstance());
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> loggedIn().call("GET", "/v1/account/shards", null).status() == 200);
    assertEquals(200, before.call("GET", "/v1/account/shards", null).status());
  }

  /**
   * At the current leader: the right password (clearing earlier counts), then wrong ones until they
   * must wait, then the right one; the answer to the last, or empty when the leader changed.
   */
  private Optional<Status> guessesAtTheLeader(LoginRequest guess, LoginRequest right) {
    AdminGrpc.AdminBlockingStub master = cluster.admin();
    try {
      master.login(right);
      for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
        Status s =
            assertThrows(StatusRuntimeException.class, () -> master.login(guess)).getStatus();
        if (s.getCode() != Status.Code.UNAUTHENTICATED) {
          return Optional.empty();
        }
      }
      master.login(right);
      return Optional.of(Status.OK.withDescription("the right password was not held back"));
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED
          ? Optional.of(e.getStatus())
          : Optional.empty();
    }
  }

  @Test
  void everyEndpointRefusesAMissingOrBadToken() throws Exception {
    Http h = anonymous();
    for (String[] call :
        new String[][] {
          {"GET", "/v1/health"},
          {"GET", "/v1/account/shards"},
          {"POST", "/v1/account/shards"},
          {"POST", "/v1/messages"},
          {"GET", "/v1/settings/application"},
          {"PATCH", "/v1/settings/application"},
          {"POST", "/v1/users"},
          {"GET", "/v1/users/admin"},
          {"PUT", "/v1/users/admin"},
          {"DELETE", "/v1/users/admin"},
          {"POST", "/v1/users/logout"},
          {"GET", "/metrics"},
          {"GET", "/logs"}
        }) {
      assertError(h.call(call[0], call[1], "{}"), 401, 1005, "");
    }
    h.authorization = "Bearer not.a-token";
    assertError(h.call("GET", "/v1/account/shards", null), 401, 1005, "invalid or expired");
    h.authorization = "Apikey wrong-key-xxxxxxxx";
    assertError(h.call("GET", "/v1/health", null), 401, 1005, "API key");
  }

  @Test
  void healthListsEveryNodeWithItsRole() throws Exception {
    Http h = anonymous();
    h.authorization = "Apikey " + LocalCluster.API_KEY;
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> h.call("GET", "/v1/health", null).json().path("health").size() == 5);
    JsonNode health = h.call("GET", "/v1/health", null).json().path("health");
    long primaries = 0;
    long secondaries = 0;
    long coreapps = 0;
    for (JsonNode n : health) {
      switch (n.path("role").asText()) {
        case "primary_master" -> primaries++;
        case "secondary_master" -> secondaries++;
        case "coreapp" -> coreapps++;
        default -> throw new AssertionError("unexpected role in " + health);
      }
    }
    assertEquals(1, primaries, health.toString());
    assertEquals(2, secondaries, health.toString());
    assertEquals(2, coreapps, health.toString());
  }

  @Test
  void shardsAreReadAndValidated() throws Exception {
    Http h = loggedIn();
    assertEquals(
        1, h.call("GET", "/v1/account/shards", null).json().path("account").path("shards").asInt());
    String ok = "\"cc\":\"1\",\"phone_number\":\"5550001234\",\"pin\":\"123456\"";
    assertError(
        h.call(
            "POST",
            "/v1/account/shards",
            "{\"phone_number\":\"5550001234\",\"shards\":2,\"pin\":\"123456\"}"),
        400,
        1008,
        "cc");
    assertError(
        h.call(
            "POST",
            "/v1/account/shards",
            "{\"cc\":1,\"phone_number\":\"5550001234\",\"shards\":2,\"pin\":\"123456\"}"),
        400,
        1009,
        "cc");
    assertError(
        h.call(
            "POST",
            "/v1/account/shards",
            "{\"cc\":\"1\",\"phone_number\":\"555-0001\",\"shards\":2,\"pin\":\"123456\"}"),
        400,
        1009,
        "phone_number");
    assertError(
        h.call("POST", "/v1/account/shards", "{" + ok + ",\"shards\":3}"), 400, 1009, "shards");
    assertError(
        h.call("POST", "/v1/account/shards", "{" + ok + ",\"shards\":\"2\"}"), 400, 1009, "shards");
    assertError(
        h.call(
            "POST",
            "/v1/account/shards",
            "{\"cc\":\"1\",\"phone_number\":\"5550001234\",\"shards\":2,\"pin\":\"12345\"}"),
        400,
        1009,
        "pin");
    assertError(
        h.call("POST", "/v1/account/shards", "{" + ok + ",\"shards\":2,\"cert\":\"not base64!\"}"),
        400,
        1009,
        "cert");
    assertError(
        h.call("POST", "/v1/account/shards", "{" + ok + ",\"shards\":4}"),
        400,
        1009,
        "healthy coreapps");
    assertError(h.call("POST", "/v1/account/shards", "[1]"), 400, 1025, "JSON object");

    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                h.call(
                            "POST",
                            "/v1/account/shards",
                            "{" + ok + ",\"shards\":2,\"cert\":\"Y2VydA==\"}")
                        .status()
                    == 201);
    Http.Response noCert = h.call("POST", "/v1/account/shards", "{" + ok + ",\"shards\":2}");
    assertEquals(201, noCert.status());
    assertTrue(noCert.json().path("meta").path("warning").asText().contains("no cert"));
    // pin only with two-step verification on: clients send none, or null
    String noPin = "\"cc\":\"1\",\"phone_number\":\"5550001234\",\"shards\":2";
    assertEquals(201, h.call("POST", "/v1/account/shards", "{" + noPin + "}").status());
    assertEquals(
        201, h.call("POST", "/v1/account/shards", "{" + noPin + ",\"pin\":null}").status());
    awaitShards(h, 2);
  }

  private static void awaitShards(Http h, int shards) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                h.call("GET", "/v1/account/shards", null)
                        .json()
                        .path("account")
                        .path("shards")
                        .asInt()
                    == shards);
  }

  /**
   * Numbers of two shards in one request, each asked of its shard's primary: "wait" answers by the
   * simulator's rule (numbers ending in 98 have no WhatsApp user), "no_wait" says "processing" for
   * numbers not known yet and knows them on a later call. Restores the shard count it changed.
   */
  @Test
  void contactsAreCheckedByThePrimaryOfEachNumbersShard() throws Exception {
    Http h = loggedIn();
    String shards = "\"cc\":\"1\",\"phone_number\":\"5550001234\",\"shards\":";
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> h.call("POST", "/v1/account/shards", "{" + shards + "2}").status() == 201);
    List<String> numbers = new ArrayList<>();
    for (int shard = 0; shard < 2; shard++) {
      numbers.add(numberIn(shard, "1"));
      numbers.add(numberIn(shard, "98"));
    }
    String wait =
        "{\"blocking\":\"wait\",\"contacts\":[\"+"
            + String.join("\",\"", numbers)
            + "\",\"not a number\"]}";
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> h.call("POST", "/v1/contacts", wait).status() == 200);
    JsonNode answer = h.call("POST", "/v1/contacts", wait).json().path("contacts");
    assertEquals(5, answer.size(), answer.toString());
    for (int i = 0; i < 4; i++) {
      JsonNode c = answer.get(i);
      boolean user = !numbers.get(i).endsWith("98");
      assertEquals(i == 0 ? "+" + numbers.get(0) : numbers.get(i), c.path("input").asText());
      assertEquals(user ? "valid" : "invalid", c.path("status").asText(), c.toString());
      assertEquals(user ? numbers.get(i) : "", c.path("wa_id").asText(), c.toString());
    }
    assertEquals("invalid", answer.get(4).path("status").asText());

    String fresh = "{\"contacts\":[\"" + numberIn(0, "2") + "\",\"" + numberIn(1, "2") + "\"]}";
    JsonNode first = h.call("POST", "/v1/contacts", fresh).json().path("contacts");
    assertEquals("processing", first.get(0).path("status").asText(), first.toString());
    assertEquals("processing", first.get(1).path("status").asText(), first.toString());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                h.call("POST", "/v1/contacts", fresh)
                    .json()
                    .path("contacts")
                    .findValuesAsText("status")
                    .equals(List.of("valid", "valid")));
    JsonNode forced =
        h.call(
                "POST",
                "/v1/contacts",
                "{\"force_check\":true,\"blocking\":\"wait\",\"contacts\":[\""
                    + numbers.get(1)
                    + "\"]}")
            .json();
    assertEquals("invalid", forced.path("contacts").get(0).path("status").asText());
    assertError(h.call("POST", "/v1/contacts", "{}"), 400, 1008, "contacts");

    assertEquals(201, h.call("POST", "/v1/account/shards", "{" + shards + "1}").status());
    awaitShards(h, 1);
  }

  /** What GET {@code route} answers under {@code settings}, then {@code path}. */
  private static JsonNode settingsOf(Http h, String route, String... path) throws Exception {
    JsonNode n = h.call("GET", route, null).json().path("settings");
    for (String p : path) {
      n = n.path(p);
    }
    return n;
  }

  /** A number of {@code shard} of 2 that ends in {@code suffix}. */
  private static String numberIn(int shard, String suffix) {
    for (long i = 0; ; i++) {
      String n = "1555" + (1000 + i) + suffix;
      if (Sharding.shardOf(n, 2) == shard) {
        return n;
      }
    }
  }

  @Test
  void messagesAreValidated() throws Exception {
    Http h = loggedIn();
    assertError(
        h.call("POST", "/v1/messages", "{\"type\":\"text\",\"text\":{\"body\":\"x\"}}"),
        400,
        1008,
        "to");
    assertError(
        h.call(
            "POST",
            "/v1/messages",
            "{\"to\":\"+1 555\",\"type\":\"text\",\"text\":{\"body\":\"x\"}}"),
        400,
        1009,
        "to");
    assertError(
        h.call("POST", "/v1/messages", "{\"to\":\"15550001\",\"type\":\"fax\"}"),
        400,
        1009,
        "type");
    assertError(
        h.call("POST", "/v1/messages", "{\"to\":\"15550001\",\"type\":\"image\"}"),
        400,
        1008,
        "'image'");
    assertError(
        h.call("POST", "/v1/messages", "{\"to\":\"15550001\",\"type\":\"text\"}"),
        400,
        1008,
        "'text'");
    assertError(
        h.call(
            "POST",
            "/v1/messages",
            "{\"to\":\"15550001\",\"type\":\"text\",\"text\":{\"body\":\""
                + "x".repeat(4097)
                + "\"}}"),
        400,
        1001,
        "4096");
    assertError(h.call("POST", "/v1/messages", "not json"), 400, 1025, "JSON");
    assertError(
        h.call(
            "POST",
            "/v1/messages",
            "{\"to\":\"15550001\",\"text\":{\"body\":\"" + "x".repeat(1_100_000) + "\"}}"),
        413,
        1009,
        "bytes");
    assertEquals(413, chunked(h, 2_000_000), "a chunked body (no Content-Length) is bounded too");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                h.call(
                            "POST",
                            "/v1/messages",
                            "{\"to\":\"15550001\",\"type\":\"text\",\"text\":{\"body\":\"hello\"}}")
                        .status()
                    == 201);
    Http.Response ok =
        h.call(
            "POST",
            "/v1/messages",
            "{\"to\":\"15550002\",\"type\":\"text\",\"text\":{\"body\":\"hello\"}}");
    assertTrue(
        ok.json().path("messages").get(0).path("id").asText().startsWith("wamid."), ok.toString());

    // A client's retry with its own Idempotency-Key gets the first message's id: sent once.
    String message = "{\"to\":\"15550003\",\"type\":\"text\",\"text\":{\"body\":\"once\"}}";
    Http.Response first = h.call("POST", "/v1/messages", message, "Idempotency-Key", "order-17:a");
    Http.Response retry = h.call("POST", "/v1/messages", message, "Idempotency-Key", "order-17:a");
    assertEquals(201, first.status(), first.toString());
    assertEquals(first.json().path("messages"), retry.json().path("messages"));
    // Keys are each user's own: another user's same key is another message.
    assertEquals(
        201,
        loggedIn()
            .call("POST", "/v1/users", "{\"username\":\"gina\",\"password\":\"G1na!pass\"}")
            .status());
    Http other = loggedInAs("gina", "G1na!pass");
    Http.Response theirs =
        other.call("POST", "/v1/messages", message, "Idempotency-Key", "order-17:a");
    assertEquals(201, theirs.status(), theirs.toString());
    assertTrue(
        !first.json().path("messages").equals(theirs.json().path("messages")),
        "one key, two users, two messages");
    assertError(
        h.call("POST", "/v1/messages", message, "Idempotency-Key", "no spaces"),
        400,
        1009,
        "Idempotency-Key");
  }

  @Test
  void settingsAreReadChangedAndValidated() throws Exception {
    Http h = loggedIn();
    JsonNode app = settingsOf(h, "/v1/settings/application", "application");
    assertTrue(app.path("heartbeat_interval").asDouble() > 0);
    assertError(
        h.call("PATCH", "/v1/settings/application", "{\"heartbeat_interval\":\"fast\"}"),
        400,
        1009,
        "heartbeat_interval");
    assertError(
        h.call("PATCH", "/v1/settings/application", "{\"unhealthy_interval\":0.3}"),
        400,
        1009,
        "unhealthy_interval");
    assertError(
        h.call("PATCH", "/v1/settings/application", "{}"), 400, 1009, "No valid parameters");
    // A field of no setting is refused, never dropped without a word: nothing changes then.
    assertError(
        h.call("PATCH", "/v1/settings/application", "{\"unhealthy_interval\":4,\"webhook\":1}"),
        400,
        1009,
        "'webhook'");
    Http.Response r =
        h.call(
            "PATCH",
            "/v1/settings/application",
            "{\"settings\":{\"application\":{\"unhealthy_interval\":3}}}");
    assertEquals(200, r.status(), r.toString());
    assertEquals(
        3.0, r.json().path("settings").path("application").path("unhealthy_interval").asDouble());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                cluster.masters.upNodes().stream()
                    .allMatch(m -> m.state().settings().unhealthyInterval().toSeconds() == 3));
  }

  @Test
  void theApplicationSettingsResetToTheirDefaultsAndTheIntervalsStay() throws Exception {
    Http h = loggedIn();
    String patch = "{\"sent_status\":true,\"webhooks\":{\"max_concurrent_requests\":12}}";
    assertEquals(200, h.call("PATCH", "/v1/settings/application", patch).status());
    double unhealthy =
        settingsOf(h, "/v1/settings/application", "application", "unhealthy_interval").asDouble();
    assertEquals(200, h.call("DELETE", "/v1/settings/application", null).status());
    JsonNode app = settingsOf(h, "/v1/settings/application", "application");
    assertFalse(app.path("sent_status").asBoolean(), app.toString());
    assertEquals(6, app.path("webhooks").path("max_concurrent_requests").asInt(), app.toString());
    assertEquals(unhealthy, app.path("unhealthy_interval").asDouble());
    assertTrue(app.path("profile").isMissingNode(), "the profile has routes of its own");
    assertError(
        h.call("PATCH", "/v1/settings/application", "{\"profile\":{\"about\":{\"text\":\"x\"}}}"),
        400,
        1009,
        "'profile");
  }

  @Test
  void theProfileAboutPhotoAndBusinessProfileAreKeptByTheCluster() throws Exception {
    Http h = loggedIn();
    String about = "Open 9-17 \u00e9t\u00e9 compris";
    assertEquals(
        200,
        h.call("PATCH", "/v1/settings/profile/about", "{\"text\":\"" + about + "\"}").status());
    assertEquals(
        "Open 9-17 \u00e9t\u00e9 compris",
        settingsOf(h, "/v1/settings/profile/about", "profile", "about", "text").asText());
    assertError(h.call("PATCH", "/v1/settings/profile/about", "{}"), 400, 1008, "text");
    assertError(
        h.call("PATCH", "/v1/settings/profile/about", "{\"text\":\"" + "x".repeat(140) + "\"}"),
        400,
        1009,
        "139");

    String business =
        "{\"address\":\"1 Main St\",\"description\":\"Bikes\",\"email\":\"shop@bikes.example\","
            + "\"vertical\":\"Retail\",\"websites\":[\"https://bikes.example\",\"https://b.example/a,b\"]}";
    assertEquals(200, h.call("POST", "/v1/settings/business/profile", business).status());
    JsonNode profile = settingsOf(h, "/v1/settings/business/profile", "business", "profile");
    assertEquals("1 Main St", profile.path("address").asText(), profile.toString());
    assertEquals("shop@bikes.example", profile.path("email").asText());
    assertEquals("https://b.example/a,b", profile.path("websites").get(1).asText());
    assertError(
        h.call(
            "POST",
            "/v1/settings/business/profile",
            "{\"websites\":[\"https://a.example\",\"https://b.example\",\"https://c.example\"]}"),
        400,
        1009,
        "websites");
    assertError(
        h.call("POST", "/v1/settings/business/profile", "{\"email\":\"not-an-address\"}"),
        400,
        1009,
        "email");
    assertError(
        h.call("POST", "/v1/settings/business/profile", "{\"phone\":\"1\"}"), 400, 1009, "'phone'");
    assertError(
        h.call("POST", "/v1/settings/business/profile", "{}"), 400, 1009, "No valid parameters");

    assertError(h.call("GET", "/v1/settings/profile/photo", null), 404, 1006, "no profile photo");
    byte[] jpeg = new byte[70_000];
    new java.util.Random(3).nextBytes(jpeg);
    assertEquals(201, h.upload("/v1/settings/profile/photo", jpeg, "image/jpeg").status());
    java.net.http.HttpResponse<byte[]> photo = h.download("/v1/settings/profile/photo");
    assertEquals(200, photo.statusCode(), new String(photo.body()));
    org.junit.jupiter.api.Assertions.assertArrayEquals(jpeg, photo.body());
    String link =
        settingsOf(h, "/v1/settings/profile/photo?format=link", "profile", "photo", "link")
            .asText();
    assertTrue(link.matches("http://[^/]+/v1/media/[0-9a-f-]{36}"), link);
    String first = link.substring(link.lastIndexOf('/') + 1);
    assertEquals(
        201, h.upload("/v1/settings/profile/photo", new byte[] {1, 2}, "image/png").status());
    assertEquals(404, h.call("GET", "/v1/media/" + first, null).status(), "the old photo is gone");
    assertError(
        h.upload("/v1/settings/profile/photo", jpeg, "application/pdf"), 400, 1009, "image/png");
    assertError(
        h.upload("/v1/settings/profile/photo", new byte[0], "image/png"), 400, 1008, "body");
    assertEquals(200, h.call("DELETE", "/v1/settings/profile/photo", null).status());
    assertEquals(404, h.call("GET", "/v1/settings/profile/photo", null).status());

    Http.Response pat =
        h.call("POST", "/v1/users", "{\"username\":\"patty\",\"password\":\"P4t!passw\"}");
    assertEquals(201, pat.status(), pat.toString());
    Http user = loggedInAs("patty", "P4t!passw");
    assertEquals(200, user.call("GET", "/v1/settings/profile/about", null).status());
    assertError(
        user.call("PATCH", "/v1/settings/profile/about", "{\"text\":\"mine\"}"), 403, 1005, "");
    assertError(user.upload("/v1/settings/profile/photo", jpeg, "image/jpeg"), 403, 1005, "");
    // The photo is a medium of the store: deleted there by the admin alone.
    assertEquals(201, h.upload("/v1/settings/profile/photo", jpeg, "image/jpeg").status());
    String photoLink =
        settingsOf(h, "/v1/settings/profile/photo?format=link", "profile", "photo", "link")
            .asText();
    String photoId = photoLink.substring(photoLink.lastIndexOf('/') + 1);
    assertError(user.call("DELETE", "/v1/media/" + photoId, null), 403, 1005, "");
    assertEquals(200, user.download("/v1/media/" + photoId).statusCode(), "still there");
    assertEquals(200, h.call("DELETE", "/v1/settings/profile/photo", null).status());
  }

  @Test
  void aBackupRestoresTheSettingsProfileAndUsersWithItsPasswordOnly() throws Exception {
    Http h = loggedIn();
    String about = "/v1/settings/profile/about";
    assertEquals(200, h.call("PATCH", about, "{\"text\":\"before\"}").status());
    assertEquals(
        200, h.call("PATCH", "/v1/settings/application", "{\"sent_status\":true}").status());
    assertEquals(
        201,
        h.call("POST", "/v1/users", "{\"username\":\"rory\",\"password\":\"R0ry!pass\"}").status());
    Http.Response taken =
        h.call("POST", "/v1/settings/backup", "{\"password\":\"backup-Passw0rd\"}");
    assertEquals(200, taken.status(), taken.toString());
    String data = taken.json().path("settings").path("data").asText();
    assertTrue(data.length() > 40, taken.toString());
    assertFalse(data.contains("$2"), "no password hash in the clear");

    assertEquals(200, h.call("PATCH", about, "{\"text\":\"after\"}").status());
    assertEquals(
        200, h.call("PATCH", "/v1/settings/application", "{\"sent_status\":false}").status());
    assertEquals(200, h.call("DELETE", "/v1/users/rory", null).status());
    // The intervals change, and so does the admin's password: the restore then revokes the token
    // it is made with, and applies the intervals before that.
    double unhealthy =
        settingsOf(h, "/v1/settings/application", "application", "unhealthy_interval").asDouble();
    assertEquals(
        200,
        h.call(
                "PATCH",
                "/v1/settings/application",
                "{\"unhealthy_interval\":" + (unhealthy + 1) + "}")
            .status());
    assertEquals(
        200, h.call("PUT", "/v1/users/admin", "{\"password\":\"Other!passw0rd\"}").status());
    h = loggedInAs("admin", "Other!passw0rd");

    String restore = "{\"password\":\"%s\",\"data\":\"%s\"}";
    assertError(
        h.call("POST", "/v1/settings/restore", String.format(restore, "wrong", data)),
        400,
        1009,
        "password");
    assertError(
        h.call("POST", "/v1/settings/restore", String.format(restore, "x", "bm90IGEgYmFja3Vw")),
        400,
        1009,
        "data");
    assertError(h.call("POST", "/v1/settings/restore", "{\"data\":\"x\"}"), 400, 1008, "password");
    assertError(h.call("POST", "/v1/settings/backup", "{}"), 400, 1008, "password");
    Http gone = anonymous();
    gone.authorization = Http.basic("rory", "R0ry!pass");
    assertEquals(401, gone.call("POST", "/v1/users/login", null).status(), "deleted");

    Http.Response restored =
        h.call("POST", "/v1/settings/restore", String.format(restore, "backup-Passw0rd", data));
    assertEquals(200, restored.status(), restored.toString());
    assertTrue(restored.json().path("meta").path("warning").isMissingNode(), restored.toString());
    assertEquals(401, h.call("GET", about, null).status(), "the admin's hash changed back");
    h = loggedIn(); // the backup's admin password
    assertEquals(
        unhealthy,
        settingsOf(h, "/v1/settings/application", "application", "unhealthy_interval").asDouble());
    assertEquals("before", settingsOf(h, about, "profile", "about", "text").asText());
    assertTrue(settingsOf(h, "/v1/settings/application", "application", "sent_status").asBoolean());
    assertEquals(
        200, loggedInAs("rory", "R0ry!pass").call("GET", about, null).status(), "rory is back");
    assertError(
        loggedInAs("rory", "R0ry!pass").call("POST", "/v1/settings/backup", "{\"password\":\"p\"}"),
        403,
        1005,
        "");
  }

  /** The webapp's last log lines, for a support bundle: the admin's or the API key's alone. */
  @Test
  void theLogIsTheAdminsOrTheApiKeys() throws Exception {
    Http admin = loggedIn();
    assertEquals(
        201,
        admin
            .call("POST", "/v1/users", "{\"username\":\"lora\",\"password\":\"L0ra!pass\"}")
            .status());
    assertError(loggedInAs("lora", "L0ra!pass").call("GET", "/logs", null), 403, 1005, "log");
    var client = java.net.http.HttpClient.newHttpClient();
    for (String authorization : List.of(admin.authorization, "Apikey " + LocalCluster.API_KEY)) {
      var logs =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + cluster.webapp.port() + "/logs"))
                  .header("Authorization", authorization)
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, logs.statusCode(), logs.body());
      assertTrue(
          logs.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"),
          logs.headers().toString());
      assertTrue(logs.body().contains("webapp listening on http://"), logs.body());
    }
  }

  @Test
  void unknownPathsAndMetrics() throws Exception {
    Http h = loggedIn();
    assertError(h.call("GET", "/v1/nothing", null), 404, 1006, "/v1/nothing");
    Http anon = anonymous();
    assertError(anon.call("GET", "/metrics", null), 401, 1005, "");
    var metrics =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + cluster.webapp.port() + "/metrics"))
            .header("Authorization", "Apikey " + LocalCluster.API_KEY)
            .build();
    var client = java.net.http.HttpClient.newHttpClient();
    var body = client.send(metrics, java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, body.statusCode());
    assertTrue(body.body().contains("multiconnect_webapp_messages_sent_total"));
    assertTrue(body.body().contains("multiconnect_webapp_send_call_messages_total"));
    // The routing table, shard by shard, as the chaos harness's observers read it.
    var primary =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> cluster.state().assignments().get(0), a -> a != null);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                client
                    .send(metrics, java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body()
                    .contains(
                        "multiconnect_webapp_shard_epoch{coreapp=\""
                            + primary.coreappId()
                            + "\",shard=\"0\"} "
                            + (double) primary.epoch()));
    // Every request by method, route template and status; an unknown path under one label.
    Scrape scraped =
        new Scrape(client.send(metrics, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
    assertTrue(
        scraped.get(
                "multiconnect_webapp_http_requests_seconds_count{method=\"GET\",route=\"/metrics\",status=\"200\"}")
            >= 1);
    assertTrue(
        scraped.get(
                "multiconnect_webapp_http_requests_seconds_count{method=\"GET\",route=\"unmatched\",status=\"404\"}")
            >= 1);
    assertTrue(
        scraped.get(
                "multiconnect_webapp_http_requests_seconds_count{method=\"GET\",route=\"/metrics\",status=\"401\"}")
            >= 1);
    assertTrue(scraped.hasFamily("jvm_memory_used_bytes{"));
    // The primary of shard 0 (a coreapp process) sends a message and shows it on its own port.
    int shards = cluster.state().shardCount();
    String to = numberIn(0, "");
    while (Sharding.shardOf(to, shards) != 0) {
      to = to + "1";
    }
    String recipient = to;
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                h.call(
                            "POST",
                            "/v1/messages",
                            "{\"to\":\""
                                + recipient
                                + "\",\"type\":\"text\",\"text\":{\"body\":\"m\"}}")
                        .status()
                    == 201);
    Assignment shard0 = cluster.state().assignments().get(0);
    Scrape coreapp = coreappMetrics(shard0.coreappId());
    assertEquals(1, coreapp.get("multiconnect_coreapp_acting"));
    assertEquals(0, coreapp.get("multiconnect_coreapp_shard"));
    assertEquals(shard0.epoch(), coreapp.get("multiconnect_coreapp_epoch"));
    assertEquals(1, coreapp.get("multiconnect_coreapp_upstream_session{state=\"connected\"}"));
    assertTrue(coreapp.get("multiconnect_coreapp_messages_total{outcome=\"sent\"}") >= 1);
    assertTrue(coreapp.get("multiconnect_coreapp_heartbeat_round_trip_seconds_count") > 0);
    assertTrue(coreapp.get("multiconnect_coreapp_acting_remaining_seconds") > 0);
    // The message's statuses wait for the webhook there (unless a test set one and it took them).
    assertTrue(coreapp.get("multiconnect_coreapp_webhook_backlog") >= 0);
    var noKey =
        client.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(
                        "http://127.0.0.1:"
                            + cluster.coreappMetricsPorts.get(shard0.coreappId())
                            + "/metrics"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(401, noKey.statusCode());
    assertEquals(401, anon.call("GET", "/v1/account/shards", null).status());
  }

  private Scrape coreappMetrics(String id) throws Exception {
    var r =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://127.0.0.1:" + cluster.coreappMetricsPorts.get(id) + "/metrics"))
                    .header("Authorization", "Apikey " + LocalCluster.API_KEY)
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return new Scrape(r.body());
  }

  /**
   * Requests the HTTP layer refuses before any route (Jetty: an undecodable or ambiguous path, too
   * large headers or URI) get our error body too, and only POST /v1/users/login goes without a
   * token.
   */
  @Test
  void whatNoRouteSeesIsRefusedInTheSameShape() throws Exception {
    Http h = loggedIn();
    Http.Response malformed = h.call("GET", "/v1/users/%00%2e%2eabc", null);
    assertError(malformed, 400, 1025, "malformed");
    // Jetty closes the connection after such a refusal, and says so, or a client could send its
    // next request on the closed connection and fail.
    assertEquals("close", malformed.header("Connection"));
    assertError(h.call("GET", "/v1/" + "a".repeat(70_000), null), 414, 1025, "");
    assertError(
        h.call("GET", "/v1/health", null, "X-Fuzz", "a".repeat(20_000)), 431, 1025, "Header");
    Http anon = anonymous();
    assertError(anon.call("DELETE", "/v1/users/login", null), 401, 1005, "token");
    assertError(anon.call("GET", "/v1/users/login", null), 401, 1005, "token");
  }

  @Test
  void aBodyNoRouteReadsLeavesTheConnectionUsable() throws Exception {
    String request =
        "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
            + loggedIn().authorization
            + "\r\nContent-Length: 5\r\n\r\n";
    try (Socket socket = new Socket("127.0.0.1", cluster.webapp.port())) {
      OutputStream out = socket.getOutputStream();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(socket.getInputStream(), US_ASCII));
      out.write(request.getBytes(US_ASCII));
      out.flush();
      // The body comes late: the webapp waits for it rather than answer and drop the connection.
      socket.setSoTimeout(500);
      assertThrows(SocketTimeoutException.class, in::readLine);
      socket.setSoTimeout(10_000);
      out.write("hello".getBytes(US_ASCII));
      out.flush();
      assertEquals("HTTP/1.1 200 OK", readResponse(in));
      out.write(request.getBytes(US_ASCII));
      out.write("again".getBytes(US_ASCII));
      out.flush();
      assertEquals("HTTP/1.1 200 OK", readResponse(in));
    }
  }

  /**
   * A refused body sent whole leaves the connection usable, as the client still sending it must
   * read the refusal (a server that closed under it would reset the connection and the client's TCP
   * drop the refusal unread): an upload without a type, a JSON body over 1 MiB with a length, and
   * one sent chunked. An upload declaring more than the webapp reads to keep the connection is
   * refused at once, with {@code Connection: close}.
   */
  @Test
  void aRefusedBodyIsReadToItsEndOrClosesItsConnection() throws Exception {
    String authorization = loggedIn().authorization;
    byte[] twoMegabytes = new byte[2_000_000];
    refusedOnAConnectionThatStaysUsable(
        authorization, "/v1/media", "Content-Length: 300000", new byte[300_000], "400 Bad Request");
    refusedOnAConnectionThatStaysUsable(
        authorization,
        "/v1/messages",
        "Content-Type: application/json\r\nContent-Length: " + twoMegabytes.length,
        twoMegabytes,
        "413 Payload Too Large");
    java.io.ByteArrayOutputStream chunked = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 32; i++) {
      chunked.write("10000\r\n".getBytes(US_ASCII));
      chunked.write(new byte[0x10000]);
      chunked.write("\r\n".getBytes(US_ASCII));
    }
    chunked.write("0\r\n\r\n".getBytes(US_ASCII));
    refusedOnAConnectionThatStaysUsable(
        authorization,
        "/v1/messages",
        "Content-Type: application/json\r\nTransfer-Encoding: chunked",
        chunked.toByteArray(),
        "413 Payload Too Large");
    try (Socket socket = new Socket("127.0.0.1", cluster.webapp.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("POST /v1/media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                      + authorization
                      + "\r\nContent-Type: image/jpeg\r\nContent-Length: "
                      + (17 << 20)
                      + "\r\n\r\n")
                  .getBytes(US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), US_ASCII);
      assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
      assertTrue(response.toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n"), response);
    }
  }

  /**
   * A request whose body ends (the client shuts its side) before its declared length is the
   * client's error, 400, not the webapp's 500 (found by the fuzz: the client gave up mid-body).
   */
  @Test
  void aBodyCutShortIsRefusedAsTheClients() throws Exception {
    String authorization = loggedIn().authorization;
    try (Socket socket = new Socket("127.0.0.1", cluster.webapp.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                      + authorization
                      + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                      + "{\"to\":")
                  .getBytes(US_ASCII));
      socket.shutdownOutput();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(socket.getInputStream(), US_ASCII));
      assertEquals("HTTP/1.1 400 Bad Request", readResponse(in));
    }
  }

  /**
   * Posts {@code body} to {@code path} with {@code headers} on a new connection, sent whole before
   * the answer is read; asserts it is refused with {@code status} and that the connection then
   * answers a health check.
   */
  private void refusedOnAConnectionThatStaysUsable(
      String authorization, String path, String headers, byte[] body, String status)
      throws IOException {
    try (Socket socket = new Socket("127.0.0.1", cluster.webapp.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(socket.getInputStream(), US_ASCII));
      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                  + authorization
                  + "\r\n"
                  + headers
                  + "\r\n\r\n")
              .getBytes(US_ASCII));
      out.write(body);
      out.flush();
      assertEquals("HTTP/1.1 " + status, readResponse(in), path + " " + headers);
      out.write(
          ("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                  + authorization
                  + "\r\n\r\n")
              .getBytes(US_ASCII));
      out.flush();
      assertEquals("HTTP/1.1 200 OK", readResponse(in), path + " " + headers);
    }
  }

  /** Reads one HTTP/1.1 response with a Content-Length; its status line. */
  private static String readResponse(BufferedReader in) throws IOException {
    String status = in.readLine();
    int length = 0;
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    assertEquals(length, in.skip(length));
    return status;
  }

  /** {@code username} logged in with {@code password}: a client holding a fresh token. */
  private Http loggedInAs(String username, String password) throws Exception {
    Http h = anonymous();
    h.authorization = Http.basic(username, password);
    Http.Response r = h.call("POST", "/v1/users/login", null);
    assertEquals(200, r.status(), r.toString());
    h.authorization = "Bearer " + r.json().path("users").get(0).path("token").asText();
    return h;
  }

  @Test
  void theAdminManagesUsersAndAUserOnlyItself() throws Exception {
    Http admin = loggedIn();
    Http.Response created =
        admin.call("POST", "/v1/users", "{\"username\":\"carol\",\"password\":\"Car0l!pass\"}");
    assertEquals(201, created.status(), created.toString());
    assertEquals("carol", created.json().path("users").get(0).path("username").asText());
    assertError(
        admin.call("POST", "/v1/users", "{\"username\":\"carol\",\"password\":\"Car0l!pass\"}"),
        409,
        1014,
        "Already exist");
    assertError(
        admin.call("POST", "/v1/users", "{\"username\":\"abc\",\"password\":\"Car0l!pass\"}"),
        400,
        1009,
        "username");
    assertError(
        admin.call("POST", "/v1/users", "{\"username\":\"dave\",\"password\":\"weak\"}"),
        400,
        1009,
        "password");
    assertError(admin.call("POST", "/v1/users", "{\"username\":\"dave\"}"), 400, 1008, "password");
    assertError(admin.call("GET", "/v1/users/nobody", null), 404, 1006, "nobody");
    assertError(admin.call("DELETE", "/v1/users/admin", null), 400, 1009, "cannot be deleted");
    assertEquals(
        "ROLE_ADMIN",
        admin
            .call("GET", "/v1/users/admin", null)
            .json()
            .path("users")
            .get(0)
            .path("ROLES")
            .asText());

    Http carol = loggedInAs("carol", "Car0l!pass");
    Http.Response self = carol.call("GET", "/v1/users/carol", null);
    assertEquals(200, self.status(), self.toString());
    assertEquals("ROLE_USER", self.json().path("users").get(0).path("ROLES").asText());
    assertEquals(200, carol.call("GET", "/v1/account/shards", null).status());
    assertEquals(200, carol.call("GET", "/v1/settings/application", null).status());
    assertError(carol.call("GET", "/v1/users/admin", null), 403, 1005, "only the admin");
    assertError(
        carol.call("POST", "/v1/users", "{\"username\":\"erin\",\"password\":\"Er1n!pass\"}"),
        403,
        1005,
        "only the admin");
    assertError(
        carol.call("PATCH", "/v1/settings/application", "{\"unhealthy_interval\":9}"),
        403,
        1005,
        "only the admin");
    assertError(
        carol.call(
            "POST",
            "/v1/account/shards",
            "{\"cc\":\"1\",\"phone_number\":\"5550100\",\"shards\":2,\"pin\":\"123456\"}"),
        403,
        1005,
        "only the admin");
    assertError(carol.call("DELETE", "/v1/users/carol", null), 403, 1005, "only the admin");
    assertError(
        carol.call("PUT", "/v1/users/admin", "{\"password\":\"Hijack3d!now\"}"),
        403,
        1005,
        "only the admin");
    assertEquals(
        200, admin.call("DELETE", "/v1/users/carol", null).status(), "the admin deletes a user");
  }

  /**
   * Logout revokes the one token sent; a password change and a deletion revoke every token of the
   * user; each is refused by the webapp on the next request (the Watch brings the change in
   * milliseconds).
   */
  @Test
  void revokedTokensAreRefusedOnTheNextRequest() throws Exception {
    Http admin = loggedIn();
    assertEquals(
        201,
        admin
            .call("POST", "/v1/users", "{\"username\":\"frank\",\"password\":\"Fr4nk!pass\"}")
            .status());
    Http first = loggedInAs("frank", "Fr4nk!pass");
    Http second = loggedInAs("frank", "Fr4nk!pass");
    assertEquals(200, first.call("POST", "/v1/users/logout", null).status());
    await()
        .atMost(Duration.ofSeconds(2))
        .until(() -> first.call("GET", "/v1/account/shards", null).status() == 401);
    assertError(first.call("GET", "/v1/account/shards", null), 401, 1005, "logged out");
    assertEquals(200, second.call("GET", "/v1/account/shards", null).status());

    assertEquals(
        200, second.call("PUT", "/v1/users/frank", "{\"password\":\"Fr4nk!again\"}").status());
    await()
        .atMost(Duration.ofSeconds(2))
        .until(() -> second.call("GET", "/v1/account/shards", null).status() == 401);
    assertError(second.call("GET", "/v1/account/shards", null), 401, 1005, "password changed");

    Http third = loggedInAs("frank", "Fr4nk!again");
    assertEquals(200, admin.call("DELETE", "/v1/users/frank", null).status());
    await()
        .atMost(Duration.ofSeconds(2))
        .until(() -> third.call("GET", "/v1/account/shards", null).status() == 401);
    assertError(third.call("GET", "/v1/account/shards", null), 401, 1005, "no longer exists");
  }

  /** The status of a POST /v1/messages whose body of {@code bytes} is sent chunked. */
  private int chunked(Http h, int bytes) throws Exception {
    byte[] body =
        ("{\"to\":\"15550001\",\"text\":{\"body\":\"" + "x".repeat(bytes) + "\"}}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + cluster.webapp.port() + "/v1/messages"))
            .header("Authorization", h.authorization)
            .header("Content-Type", "application/json")
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(body)))
            .build();
    return java.net.http.HttpClient.newHttpClient()
        .send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}
