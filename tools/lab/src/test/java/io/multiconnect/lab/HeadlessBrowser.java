package io.multiconnect.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real headless Chromium (Debian's {@code chromium}) driven over the DevTools protocol on
 * loopback: open a page, evaluate JavaScript in it, take a screenshot. Started and stopped by the
 * test that holds it, in a profile directory of its own.
 */
final class HeadlessBrowser implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING =
      Pattern.compile("DevTools listening on ws://127\\.0\\.0\\.1:(\\d+)/");
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

  private final Process process;
  private final WebSocket page;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

  private HeadlessBrowser(Process process, WebSocket page) {
    this.process = process;
    this.page = page;
  }

  /** Starts Chromium with a {@code width} x {@code height} window and a blank page. */
  static HeadlessBrowser start(Path profile, int width, int height) throws Exception {
    Process p =
        new ProcessBuilder(
                "chromium",
                "--headless=new",
                "--no-sandbox", // the tests run as root in CI
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank")
            .redirectErrorStream(true)
            .start();
    try {
      int port = devToolsPort(p);
      HttpClient http = HttpClient.newHttpClient();
      JsonNode targets =
          JSON.readTree(
              http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      String url = null;
      for (JsonNode t : targets) {
        if (t.path("type").asText().equals("page")) {
          url = t.path("webSocketDebuggerUrl").asText();
        }
      }
      if (url == null) {
        throw new IOException("Chromium shows no page: " + targets);
      }
      Listener listener = new Listener();
      WebSocket ws =
          http.newWebSocketBuilder()
              .buildAsync(URI.create(url), listener)
              .get(10, TimeUnit.SECONDS);
      HeadlessBrowser b = new HeadlessBrowser(p, ws);
      listener.browser = b;
      return b;
    } catch (Exception e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** Reads Chromium's output until it names its DevTools port (within 30 s). */
  private static int devToolsPort(Process p) throws IOException {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                  }
                }
                port.completeExceptionally(new IOException("Chromium exited"));
              } catch (IOException e) {
                port.completeExceptionally(e);
              }
            },
            "chromium-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return port.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("Chromium did not open its DevTools port: " + e, e);
    }
  }

  private static final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();
    private volatile HeadlessBrowser browser;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String message = text.toString();
        text.setLength(0);
        HeadlessBrowser b = browser;
        if (b != null) {
          b.received(message);
        }
      }
      ws.request(1);
      return null;
    }
  }

  private void received(String message) {
    try {
      JsonNode m = JSON.readTree(message);
      if (m.has("id")) {
        CompletableFuture<JsonNode> call = calls.remove(m.get("id").asInt());
        if (call != null) {
          call.complete(m);
        }
      }
    } catch (IOException e) {
      // not a protocol message: ignore
    }
  }

  /** Calls a DevTools method; fails with the browser's error if it answers one. */
  JsonNode call(String method, ObjectNode params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    calls.put(id, answer);
    ObjectNode request = JSON.createObjectNode().put("id", id).put("method", method);
    request.set("params", params);
    page.sendText(request.toString(), true).get(10, TimeUnit.SECONDS);
    JsonNode r = answer.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (r.has("error")) {
      throw new IOException(method + ": " + r.get("error"));
    }
    return r.path("result");
  }

  void open(String url) throws Exception {
    call("Page.navigate", JSON.createObjectNode().put("url", url));
  }

  /** The value of a JavaScript expression in the page (a promise is awaited). */
  JsonNode eval(String expression) throws Exception {
    JsonNode r =
        call(
            "Runtime.evaluate",
            JSON.createObjectNode()
                .put("expression", expression)
                .put("returnByValue", true)
                .put("awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new IOException(expression + ": " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /** The page as it looks now, as a PNG file. */
  void screenshot(Path file) throws Exception {
    JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
    Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
  }

  @Override
  public void close() throws InterruptedException {
    page.abort();
    process.descendants().forEach(ProcessHandle::destroy); // its renderers, started by it
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
