package io.multiconnect.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** A small HTTP client for the webapp's REST API in tests. */
final class Http {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();
  private final String base;
  String authorization = "";

  record Response(int status, JsonNode json, java.net.http.HttpHeaders headers) {
    /** A header's first value, or empty. */
    String header(String name) {
      return headers.firstValue(name).orElse("");
    }
  }

  Http(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  Response call(String method, String path, String body) throws IOException, InterruptedException {
    return call(method, path, body, new String[0]);
  }

  /** A call with extra {@code name, value} header pairs. */
  Response call(String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    return call(
        method,
        path,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body),
        "application/json",
        headers);
  }

  /** A call whose body is {@code bytes} of {@code contentType} (none when null). */
  Response upload(String path, byte[] bytes, String contentType)
      throws IOException, InterruptedException {
    return call("POST", path, HttpRequest.BodyPublishers.ofByteArray(bytes), contentType);
  }

  /** A GET whose answer is kept as bytes. */
  HttpResponse<byte[]> download(String path) throws IOException, InterruptedException {
    return client.send(
        request("GET", path, HttpRequest.BodyPublishers.noBody(), null).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private Response call(
      String method,
      String path,
      HttpRequest.BodyPublisher body,
      String contentType,
      String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = request(method, path, body, contentType);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
    return new Response(r.statusCode(), json, r.headers());
  }

  private HttpRequest.Builder request(
      String method, String path, HttpRequest.BodyPublisher body, String contentType) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(15))
            .method(method, body);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (!authorization.isEmpty()) {
      b.header("Authorization", authorization);
    }
    return b;
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** First login as admin/secret, setting {@code newPassword}; keeps the bearer token. */
  Http loginFirstTime(String newPassword) throws IOException, InterruptedException {
    authorization = basic("admin", "secret");
    Response r = call("POST", "/v1/users/login", "{\"new_password\":\"" + newPassword + "\"}");
    if (r.status() != 200) {
      throw new IllegalStateException("login failed: " + r);
    }
    authorization = "Bearer " + r.json().path("users").get(0).path("token").asText();
    return this;
  }
}
