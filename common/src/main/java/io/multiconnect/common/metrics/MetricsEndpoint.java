package io.multiconnect.common.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.net.HostPort;
import io.multiconnect.common.node.DaemonThreads;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} of a master or coreapp, and, when an API key is set, {@code GET /logs}, its
 * last log lines (for {@code mcctl support-bundle}), on an address of its own ({@code
 * MC_METRICS_ADDRESS}; the webapp answers both on its REST port). With {@code WA_API_KEY} set it
 * asks for {@code Authorization: Apikey <key>} (Prometheus: {@code authorization: {type: Apikey,
 * credentials: ...}}); without one it binds only to a loopback address, so figures and lines that
 * name coreapps, users, epochs and addresses are not open to the network.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

  public static final String ENV = "MC_METRICS_ADDRESS";
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  static final String LOGS_CONTENT_TYPE = "text/plain; charset=utf-8";

  /** Where to listen and the key a scraper must show, if any. */
  public record Settings(HostPort address, Optional<ApiKey> apiKey) {
    public Settings {
      if (apiKey.isEmpty() && !isLoopback(address.host())) {
        throw new IllegalArgumentException(
            ENV
                + ": "
                + address
                + " is not a loopback address; set "
                + ApiKey.ENV
                + " to serve metrics to the network");
      }
    }

    /** From {@code MC_METRICS_ADDRESS} and {@code WA_API_KEY}; empty when no address is set. */
    public static Optional<Settings> fromEnv(Map<String, String> env) {
      return of(env.get(ENV), env.get(ApiKey.ENV));
    }

    /** From an address ({@code host:port}) and an API key, either null or empty when unset. */
    public static Optional<Settings> of(String address, String apiKey) {
      return address == null || address.isBlank()
          ? Optional.empty()
          : Optional.of(new Settings(HostPort.parse(ENV, address.trim()), ApiKey.of(apiKey)));
    }
  }

  private final HttpServer server;
  private final ExecutorService executor =
      Executors.newSingleThreadExecutor(DaemonThreads.named("metrics-endpoint"));

  private MetricsEndpoint(HttpServer server) {
    this.server = server;
  }

  /**
   * Serves {@code scrape} at {@code /metrics} and {@code logs} at {@code /logs} on {@code
   * settings.address()} until closed.
   */
  public static MetricsEndpoint start(
      Settings settings, Supplier<String> scrape, Supplier<String> logs) {
    HttpServer server;
    try {
      server =
          HttpServer.create(
              new InetSocketAddress(settings.address().host(), settings.address().port()), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          ENV + ": cannot listen on " + settings.address() + ": " + e.getMessage(), e);
    }
    MetricsEndpoint endpoint = new MetricsEndpoint(server);
    // The log names users and addresses: served only to a caller that shows the key, never to any
    // local user of a host whose listener is on loopback for want of a key.
    Map<String, Page> pages =
        settings.apiKey().isPresent()
            ? Map.of(
                "/metrics",
                new Page(CONTENT_TYPE, scrape),
                "/logs",
                new Page(LOGS_CONTENT_TYPE, logs))
            : Map.of("/metrics", new Page(CONTENT_TYPE, scrape));
    server.createContext("/", exchange -> endpoint.answer(exchange, settings.apiKey(), pages));
    server.setExecutor(endpoint.executor);
    server.start();
    LOG.info(
        "metrics at http://{}/metrics{}",
        new HostPort(settings.address().host(), endpoint.port()),
        settings.apiKey().isPresent() ? " (Authorization: Apikey)" : "");
    return endpoint;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** What a path serves: its content type, and its text made at each request. */
  private record Page(String contentType, Supplier<String> text) {}

  private void answer(HttpExchange exchange, Optional<ApiKey> key, Map<String, Page> pages)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      Page page = pages.get(exchange.getRequestURI().getPath());
      if (page == null) {
        reply(
            exchange,
            404,
            "only /metrics is served here (and /logs with WA_API_KEY set)\n",
            method);
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        reply(exchange, 405, "only GET and HEAD\n", method);
      } else if (key.isPresent()
          && !key.get().matches(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Apikey");
        reply(exchange, 401, "Authorization: Apikey <WA_API_KEY> is required\n", method);
      } else {
        exchange.getResponseHeaders().set("Content-Type", page.contentType());
        reply(exchange, 200, page.text().get(), method);
      }
    }
  }

  private static void reply(HttpExchange exchange, int status, String body, String method)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    boolean head = method.equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(ENV + ": unknown host '" + host + "'", e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
