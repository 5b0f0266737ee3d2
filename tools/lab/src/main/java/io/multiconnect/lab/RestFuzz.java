package io.multiconnect.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.multiconnect.dataplane.webapp.WebappServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Grammar-based fuzzing of the REST API: every route's valid request, mutated (a field dropped, a
 * value of the wrong type or size, an unknown field, deep nesting, broken JSON, another method, odd
 * paths and headers, bad credentials), sent over real HTTP to a running webapp. Every answer is
 * tallied: 5xx, an error body that is not the On-Premises shape, or no answer within the timeout
 * are findings.
 */
final class RestFuzz {
  /** One valid request a mutation starts from. */
  record Seed(String method, String path, String body) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final String base;
  private final String adminLogin;
  private String authorization;
  private final String apiKey;
  private final Random random;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();

  /**
   * Sends to the webapp at {@code base} as the admin ({@code authorization} a token, {@code
   * adminPassword} to log in again after a logout the fuzz made).
   */
  RestFuzz(String base, String authorization, String adminPassword, String apiKey, Random random) {
    this.base = base;
    this.authorization = authorization;
    this.adminLogin =
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString(
                    ("admin:" + adminPassword).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    this.apiKey = apiKey;
    this.random = random;
  }

  /** The valid requests of every route (users the fuzz makes are named fz*, never admin). */
  static List<Seed> seeds() {
    return List.of(
        new Seed(
            "POST",
            "/v1/messages",
            "{\"to\":\"15550001\",\"type\":\"text\",\"text\":{\"body\":\"hi\"}}"),
        new Seed(
            "POST",
            "/v1/messages",
            "{\"to\":\"+1 555-0001\",\"type\":\"template\",\"template\":{\"namespace\":\"n\","
                + "\"name\":\"t\",\"language\":{\"policy\":\"deterministic\",\"code\":\"en\"},"
                + "\"components\":[{\"type\":\"button\",\"sub_type\":\"quick_reply\",\"index\":0,"
                + "\"parameters\":[{\"type\":\"payload\",\"payload\":\"y\"}]}]}}"),
        new Seed(
            "POST",
            "/v1/messages",
            "{\"to\":\"15550001\",\"type\":\"interactive\",\"interactive\":{\"type\":\"list\","
                + "\"body\":{\"text\":\"b\"},\"action\":{\"button\":\"go\",\"sections\":[{\"rows\":"
                + "[{\"id\":\"1\",\"title\":\"a\"}]}]}}}"),
        new Seed(
            "POST",
            "/v1/messages",
            "{\"to\":\"15550001\",\"type\":\"image\",\"image\":{\"link\":\"https://x.io/a.png\","
                + "\"caption\":\"c\"}}"),
        new Seed("POST", "/v1/media", "a medium's bytes"),
        new Seed("GET", "/v1/media/3f1e2d4c-5b6a-4789-8abc-def012345678", null),
        new Seed("DELETE", "/v1/media/3f1e2d4c-5b6a-4789-8abc-def012345678", null),
        new Seed("GET", "/v1/account/shards", null),
        new Seed(
            "POST",
            "/v1/account/shards",
            "{\"cc\":\"1\",\"phone_number\":\"5550100\",\"shards\":1,\"pin\":\"123456\"}"),
        new Seed("GET", "/v1/settings/application", null),
        new Seed(
            "PATCH",
            "/v1/settings/application",
            "{\"unhealthy_interval\":2,\"heartbeat_interval\":0.2}"),
        new Seed("GET", "/v1/health", null),
        new Seed("GET", "/metrics", null),
        new Seed("POST", "/v1/users", "{\"username\":\"fz0001\",\"password\":\"Fuzz!pass1\"}"),
        new Seed("GET", "/v1/users/fz0001", null),
        new Seed("PUT", "/v1/users/fz0001", "{\"password\":\"Fuzz!pass2\"}"),
        new Seed("DELETE", "/v1/users/fz0001", null),
        new Seed("POST", "/v1/users/login", "{\"new_password\":\"Fuzz!pass3\"}"),
        new Seed("GET", "/v1/certificates/external/ca", null),
        new Seed("POST", "/v1/certificates/external", NOT_A_CHAIN),
        new Seed("POST", "/v1/users/logout", null));
  }

  /** A PEM-framed upload that is no certificate chain: mutations start from its shape. */
  private static final String NOT_A_CHAIN =
      "-----BEGIN CERTIFICATE-----\nTUlJQm5vdGFjZXJ0\n-----END CERTIFICATE-----\n"
          + "-----BEGIN PRIVATE KEY-----\nTUlJQm5vdGFrZXk=\n-----END PRIVATE KEY-----\n";

  /** After a logout of the admin's own session, a new token, as a client would log in again. */
  private void loginAgain() throws java.io.IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/users/login"))
                .timeout(TIMEOUT)
                .header("Authorization", adminLogin)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("fuzz: cannot log in again: " + r.body());
    }
    authorization =
        "Bearer " + JSON.readTree(r.body()).path("users").path(0).path("token").asText();
  }

  /** The admin's token now: a logout the fuzz made replaced the one it started with. */
  String authorization() {
    return authorization;
  }

  /** Sends {@code count} mutated requests and tallies the answers. */
  FuzzTally run(int count) throws InterruptedException {
    FuzzTally tally = new FuzzTally();
    List<Seed> seeds = seeds();
    String previous = "";
    for (int i = 0; i < count; i++) {
      Seed seed = seeds.get(random.nextInt(seeds.size()));
      Request r = mutate(seed);
      String route = seed.method() + " " + seed.path().replaceAll("fz\\d+", "{username}");
      try {
        HttpResponse<String> answer = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        String body = answer.body();
        tally.rest(
            route,
            answer.statusCode(),
            onPremisesShape(answer),
            r.describe() + " -> " + body.substring(0, Math.min(body.length(), 160)));
        previous = r.describe();
        if (answer.statusCode() == 200
            && seed.path().equals("/v1/users/logout")
            && r.auth.equals(authorization)) {
          loginAgain();
        }
      } catch (HttpTimeoutException e) {
        tally.hang(route, r.describe());
      } catch (java.io.IOException e) {
        if (r.body != null && r.body.length() > WebappServer.MAX_BODY_BYTES) {
          // The webapp answers 413 before the body is all sent and closes the connection; the
          // client, still sending, may see the close before the answer.
          tally.closedOnOversizedBody(route);
        } else {
          tally.failed(route, r.describe() + ": " + e + " (after " + previous + ")");
        }
      }
    }
    return tally;
  }

  /** Whether an error answer has the On-Premises error body (a success needs nothing). */
  private static boolean onPremisesShape(HttpResponse<String> answer) {
    if (answer.statusCode() < 400 || answer.body().isEmpty()) {
      return true; // 404 with no body is the real API's answer for a certificate not uploaded
    }
    try {
      JsonNode e = JSON.readTree(answer.body()).path("errors").path(0);
      return e.path("code").isInt() && e.path("title").isTextual() && e.path("details").isTextual();
    } catch (java.io.IOException notJson) {
      return false;
    }
  }

  /** A request being built, with what was mutated. */
  private final class Request {
    String method;
    String path;
    String body;
    String auth = authorization;
    String contentType = "application/json";
    final List<String> changes = new ArrayList<>();

    HttpRequest build() {
      HttpRequest.Builder b;
      try {
        b = HttpRequest.newBuilder(URI.create(base + path));
      } catch (IllegalArgumentException badUri) {
        b = HttpRequest.newBuilder(URI.create(base + "/v1/%25"));
      }
      b.timeout(TIMEOUT).header("Content-Type", contentType);
      if (auth != null) {
        b.header("Authorization", auth);
      }
      b.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body));
      return b.build();
    }

    String describe() {
      return method + " " + path.substring(0, Math.min(path.length(), 80)) + " " + changes;
    }
  }

  private Request mutate(Seed seed) {
    Request r = new Request();
    r.method = seed.method();
    r.path = seed.path().replace("fz0001", "fz" + (1 + random.nextInt(40)));
    r.body = seed.body();
    if (r.path.equals("/v1/health") || r.path.equals("/metrics")) {
      r.auth = random.nextBoolean() ? "Apikey " + apiKey : authorization;
    }
    int mutations = random.nextInt(4); // 0: the valid request itself
    for (int m = 0; m < mutations; m++) {
      switch (random.nextInt(9)) {
        case 0, 1, 2 -> mutateBody(r);
        case 3 -> {
          r.body = r.body == null ? "{" : r.body.substring(0, random.nextInt(r.body.length() + 1));
          r.changes.add("truncated body");
        }
        case 4 -> {
          r.method =
              List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS").get(random.nextInt(6));
          r.changes.add("method " + r.method);
        }
        case 5 -> {
          r.path = mutatePath(r.path);
          r.changes.add("path");
        }
        case 6 -> {
          r.auth =
              List.of(
                      "",
                      "Bearer ",
                      "Bearer x.y.z",
                      "Basic %%%",
                      "Basic "
                          + java.util.Base64.getEncoder().encodeToString("admin:wrong".getBytes()),
                      "Apikey nope",
                      "Digest abc",
                      "Bearer " + "A".repeat(5000))
                  .get(random.nextInt(8));
          r.changes.add("authorization");
        }
        case 7 -> {
          r.contentType =
              List.of("text/plain", "application/xml", "", "application/json; charset=latin1")
                  .get(random.nextInt(4));
          r.changes.add("content type");
        }
        default -> {
          r.body = randomText(random.nextInt(3) == 0 ? 2_000_000 : 200);
          r.changes.add("random body");
        }
      }
    }
    return r;
  }

  private String mutatePath(String path) {
    return switch (random.nextInt(5)) {
      case 0 -> path + "/" + randomText(8);
      case 1 -> path.substring(0, path.lastIndexOf('/') + 1) + randomText(random.nextInt(300));
      case 2 -> path + "?" + randomText(20) + "=" + randomText(20);
      case 3 -> "/v1/users/" + "%00%2e%2e" + randomText(5);
      default -> path.toUpperCase();
    };
  }

  private void mutateBody(Request r) {
    JsonNode tree;
    try {
      tree = r.body == null ? NODES.objectNode() : JSON.readTree(r.body);
    } catch (java.io.IOException notJson) {
      return;
    }
    if (!(tree instanceof ObjectNode root)) {
      return;
    }
    ObjectNode target = root;
    List<String> names = new ArrayList<>();
    root.fieldNames().forEachRemaining(names::add);
    // Sometimes one level down (text.body, settings.application...).
    for (String n : names) {
      if (root.get(n) instanceof ObjectNode inner && random.nextBoolean()) {
        target = inner;
      }
    }
    List<String> fields = new ArrayList<>();
    Iterator<String> it = target.fieldNames();
    it.forEachRemaining(fields::add);
    String field = fields.isEmpty() ? "x" : fields.get(random.nextInt(fields.size()));
    switch (random.nextInt(4)) {
      case 0 -> {
        target.remove(field);
        r.changes.add("dropped " + field);
      }
      case 1 -> {
        target.set(field, oddValue());
        r.changes.add("odd " + field);
      }
      case 2 -> {
        target.set(randomText(6), oddValue());
        r.changes.add("unknown field");
      }
      default -> {
        target.put(field, DEEP);
        r.changes.add("deep " + field);
      }
    }
    r.body =
        root.toString().replace("\"" + DEEP + "\"", "[".repeat(2_000) + "1" + "]".repeat(2_000));
  }

  /** Stands for a value nested 2 000 arrays deep, written into the text (Jackson writes 1 000). */
  private static final String DEEP = "multiconnect-fuzz-deep";

  private JsonNode oddValue() {
    return switch (random.nextInt(12)) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.numberNode(random.nextLong());
      case 2 -> NODES.numberNode(-1);
      case 3 -> NODES.numberNode(1e308);
      case 4 -> NODES.booleanNode(random.nextBoolean());
      case 5 -> NODES.textNode("");
      case 6 -> NODES.textNode(randomText(100_000));
      case 7 -> NODES.textNode("\u0000\u202e\ud83d\ude00\r\n' OR 1=1 --");
      case 8 -> NODES.arrayNode().add(1).add("a");
      case 9 -> NODES.objectNode().put("a", 1);
      case 10 -> NODES.numberNode(0.5);
      default -> NODES.textNode(String.valueOf(random.nextInt(100)));
    };
  }

  private String randomText(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append((char) (random.nextInt(3) == 0 ? random.nextInt(0x3000) : 'a' + random.nextInt(26)));
    }
    return b.toString();
  }
}
