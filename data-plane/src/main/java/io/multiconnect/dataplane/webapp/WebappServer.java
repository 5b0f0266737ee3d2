package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.sse.SseHandler;
import io.javalin.router.Endpoint;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.auth.LoginThrottle;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.log.NodeLogging;
import io.multiconnect.common.metrics.NodeMetrics;
import io.multiconnect.common.metrics.TlsMetrics;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.settings.AppSetting;
import io.multiconnect.common.shard.ShardCounts;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.dataplane.RoutingTable;
import io.multiconnect.dataplane.ShardMapWatcher;
import io.multiconnect.dataplane.media.MediaStore;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.GetExternalCertificateRequest;
import io.multiconnect.proto.v1.GetSettingsRequest;
import io.multiconnect.proto.v1.LoginRequest;
import io.multiconnect.proto.v1.LoginResponse;
import io.multiconnect.proto.v1.SetShardCountRequest;
import io.multiconnect.proto.v1.UpdateApplicationSettingsRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST front door, compatible with the On-Premises API. Routes messages by the routing table
 * from the masters' Watch stream and forwards account and settings changes to the leader.
 *
 * <p>Threading: Jetty's pool runs the handlers; everything they share ({@link ShardMapWatcher},
 * {@link MessageRouter}, {@link AdminClient}) is thread-safe.
 */
public final class WebappServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebappServer.class);

  /** Bodies larger than this are refused with 413. */
  public static final long MAX_BODY_BYTES = 1 << 20;

  /** The routes whose POST body is streamed to the media store by the route itself. */
  private static final Set<String> STREAMED = Set.of(MediaRoutes.UPLOAD, ProfileRoutes.PHOTO);

  /** How long one API request may wait for a shard's primary (e.g. during a failover). */
  static final Duration ROUTE_BUDGET = Duration.ofSeconds(3);

  /** A client's own message id ({@code Idempotency-Key} header): a retry with it never resends. */
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  /** The On-Premises API's expires_after format, e.g. "2026-11-30 08:00:00+00:00". */
  private static final DateTimeFormatter EXPIRES_FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssxxx").withZone(ZoneOffset.UTC);

  private static final ObjectMapper JSON = new ObjectMapper();
  private final ShardMapWatcher watcher;
  private final MessageRouter router;
  private final NodeMetrics metrics = new NodeMetrics();
  private final WebappMetrics webappMetrics;
  private final ConsoleFeed console;
  private final AdminClient admin;
  private final Auth auth;

  /** Failed logins per client address: a second line beside the masters' per-user one. */
  private final LoginThrottle logins;

  private final HealthView health;
  private final Javalin app;
  private final Optional<MirrorSettings> mirror;
  private final Optional<HttpsCertificate> https;
  private final MediaStore media;
  private final OutboundMessages messages;

  /** The HTTPS certificate an admin uploaded, as last read from a master ("" when none). */
  private volatile String uploaded = "";

  private final String host;
  private final int port;

  /**
   * A webapp checking token expiry against {@code clock}'s wall time, serving HTTPS with {@code
   * https} when given (plain HTTP otherwise).
   */
  public WebappServer(
      String host,
      int port,
      List<String> masters,
      String id,
      Optional<ApiKey> apiKey,
      Optional<MirrorSettings> mirror,
      NodeClock clock,
      NodeTls tls,
      Optional<HttpsCertificate> https,
      MediaStore media) {
    this.https = https;
    this.media = media;
    this.messages =
        new OutboundMessages(
            mediumId -> {
              try {
                return media.get(mediumId).isPresent();
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    this.mirror = mirror;
    this.host = host;
    this.port = port;
    this.watcher = new ShardMapWatcher(masters, id, tls);
    this.router = new MessageRouter(watcher, tls);
    router.bindTo(metrics.registry());
    metrics.register(new TlsMetrics(tls));
    this.webappMetrics = new WebappMetrics(metrics, watcher::table, watcher::connected);
    this.console =
        new ConsoleFeed(masters, tls, router::stub, router::sent, () -> clock.now().toEpochMilli());
    watcher.onChange(e -> console.changed());
    this.admin = new AdminClient(masters, tls);
    this.auth = new Auth(watcher::table, apiKey, clock::now);
    this.logins = new LoginThrottle(clock::nanoTime);
    this.health = new HealthView(masters, watcher, tls);
    this.app =
        Javalin.create(
            cfg -> {
              cfg.startup.showJavalinBanner = false;
              cfg.requestLogger.http((ctx, ms) -> webappMetrics.answered(ctx, ms, route(ctx)));
              cfg.http.maxRequestSize = MAX_BODY_BYTES;
              cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrors()));
              https.ifPresent(
                  h -> cfg.jetty.addConnector((server, http) -> httpsOnly(h, server, http)));
              routes(cfg.routes);
            });
  }

  /**
   * Starts serving; when it cannot (the port is taken), stops what it started and throws, so that
   * no thread of it keeps the process alive.
   */
  public WebappServer start() {
    try {
      https.ifPresent(h -> h.follow(this::uploadedCertificate));
      watcher.start();
      mirror.ifPresent(this::seedFromMirror);
      app.start(host, port);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    LOG.info(
        "webapp listening on {}://{}:{}", https.isPresent() ? "https" : "http", host, app.port());
    return this;
  }

  /**
   * At start-up, loads the routing table and token key from the mirror, so the webapp can route
   * even when no master answers; the Watch stream takes over once one does.
   */
  private void seedFromMirror(MirrorSettings m) {
    try {
      RoutingTable seed = MirrorReader.read(m);
      watcher.seed(seed);
      LOG.info(
          "routing table and token public keys loaded from the mirror: {} shards at index {}",
          seed.shardCount(),
          seed.version());
    } catch (java.sql.SQLException e) {
      LOG.warn("could not read the mirror ({}); waiting for a master", e.getMessage());
    }
  }

  public int port() {
    return app.port();
  }

  private void routes(RoutesConfig r) {
    // Every body is read (up to MAX_BODY_BYTES) before the answer, even one a route or a refusal
    // does not need: Jetty closes a connection whose request it did not read to the end, without
    // telling the client, which would then send its next request on the closed connection.
    r.before(
        ctx -> {
          if (!(ctx.method() == HandlerType.POST && STREAMED.contains(ctx.path()))) {
            ctx.bodyAsBytes(); // a medium is streamed to the store by its route instead
          }
        });
    r.before(
        "/v1/*",
        ctx -> {
          if (ctx.path().equals("/v1/health")) {
            auth.requireUserOrApiKey(ctx);
          } else if (!(ctx.method() == HandlerType.POST && ctx.path().equals("/v1/users/login"))) {
            auth.requireUser(ctx);
          }
        });
    r.before("/metrics", auth::requireUserOrApiKey);
    r.before("/logs", ctx -> auth.requireAdminOrApiKey(ctx, "read the webapp's log"));
    r.before("/console/events", auth::requireUser);
    r.post("/v1/users/login", this::login);
    new UserRoutes(this::asCaller).register(r);
    new CertificateRoutes(this::asCaller, this::uploadedCertificate).register(r);
    MediaRoutes mediaRoutes =
        new MediaRoutes(
            media, id -> id.equals(AppSetting.PROFILE_PHOTO.in(settings().getApplicationMap())));
    mediaRoutes.register(r);
    new ProfileRoutes(mediaRoutes, media, this::asCaller, this::settings).register(r);
    new BackupRoutes(this::asCaller, this::settings, () -> watcher.table().shardCount())
        .register(r);
    new ContactRoutes(router).register(r);
    r.get("/v1/health", ctx -> ctx.json(health.body()));
    r.post("/v1/messages", this::sendMessage);
    r.get(
        "/v1/account/shards",
        ctx ->
            ctx.json(
                Map.of("account", Map.of("shards", watcher.table().shardCount()), "meta", meta())));
    r.post("/v1/account/shards", this::setShards);
    r.get("/v1/settings/application", ctx -> ctx.json(settingsBody(settings())));
    r.patch("/v1/settings/application", this::patchSettings);
    r.delete("/v1/settings/application", this::resetSettings);
    consoleRoutes(r);
    r.get(
        "/metrics",
        ctx ->
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    r.get(
        "/logs",
        ctx -> ctx.contentType("text/plain; charset=utf-8").result(NodeLogging.recentLines()));

    r.exception(ApiError.Failure.class, (e, ctx) -> error(ctx, e.error));
    r.exception(AdminException.class, (e, ctx) -> error(ctx, fromAdmin(e)));
    r.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          if (e.getStatus() == HttpStatus.PAYLOAD_TOO_LARGE_413) {
            UnreadBody.drainOrClose(ctx); // the body was refused before it was read to its end
          }
          error(ctx, fromJavalin(e));
        });
    r.exception(
        EofException.class,
        (e, ctx) -> {
          // The client went away, or stopped sending, before its request's end: nobody to answer.
          LOG.debug("{} {}: the client's request ended early ({})", ctx.method(), ctx.path(), e);
          ctx.header("Connection", "close");
          error(ctx, ApiError.invalid("body", "the request ended before its declared length"));
        });
    r.exception(
        Exception.class,
        (e, ctx) -> {
          LOG.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
          error(ctx, new ApiError(500, 1014, "Internal error", "see the webapp log"));
        });
  }

  /**
   * The template of the route {@code ctx}'s method and path match, if one does: the endpoint
   * Javalin matched, or, for a request a before-handler refused before the match (no token), the
   * router's match of its path.
   */
  private Optional<String> route(Context ctx) {
    Endpoint matched;
    try {
      matched = ctx.endpoints().matchedHttpEndpoint();
    } catch (RuntimeException notMatched) {
      matched = null;
    }
    if (matched != null) {
      return Optional.of(matched.path);
    }
    return Optional.ofNullable(
            app.unsafe.internalRouter.findFirstHttpHandlerEntry(ctx.method(), ctx.path()))
        .map(e -> e.endpoint.path);
  }

  /**
   * The console: its page and assets, open (they hold no data), and the stream of the cluster's
   * pictures, for a logged-in user ({@link ConsoleFeed}). The page's script is its own file, so the
   * policy admits no inline script.
   */
  private void consoleRoutes(RoutesConfig r) {
    for (String[] asset :
        List.of(
            new String[] {"/console", "index.html", "text/html; charset=utf-8"},
            new String[] {"/console/console.js", "console.js", "text/javascript; charset=utf-8"},
            new String[] {"/console/console.css", "console.css", "text/css; charset=utf-8"})) {
      byte[] body = consoleAsset(asset[1]);
      r.get(
          asset[0],
          ctx -> {
            ctx.header(
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
                    + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
            ctx.header("X-Content-Type-Options", "nosniff");
            ctx.contentType(asset[2]).result(body);
          });
    }
    r.get("/console/events", new SseHandler(console::subscribe));
  }

  private static byte[] consoleAsset(String name) {
    try (var in = WebappServer.class.getResourceAsStream("/console/" + name)) {
      if (in == null) {
        throw new IllegalStateException(
            "the console's " + name + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The one connector when HTTPS is on: TLS with the operator's certificate ({@link
   * HttpsCertificate}) at the webapp's address; no plain HTTP beside it.
   */
  private Connector httpsOnly(HttpsCertificate certificate, Server server, HttpConfiguration http) {
    SslContextFactory.Server tls = new SslContextFactory.Server();
    try {
      tls.setSslContext(certificate.context());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HTTPS: no TLS context", e);
    }
    HttpConfiguration secure = new HttpConfiguration(http);
    // No virtual hosts here: a client may name the webapp by any address its certificate omits.
    secure.addCustomizer(new SecureRequestCustomizer(false));
    ServerConnector connector =
        new ServerConnector(
            server,
            new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()),
            new HttpConnectionFactory(secure));
    connector.setHost(host);
    connector.setPort(port);
    return connector;
  }

  /** Javalin's own refusals (unknown path, wrong method, body too large) as our error body. */
  private static ApiError fromJavalin(HttpResponseException e) {
    return ApiError.ofHttpStatus(e.getStatus(), e.getMessage(), MAX_BODY_BYTES);
  }

  /**
   * Jetty's refusals of requests no route sees (a malformed request line, an ambiguous or
   * undecodable path, too large headers) in our error body instead of Jetty's HTML page.
   */
  private static final class JsonErrors extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Object message = request.getAttribute(ERROR_MESSAGE);
      ApiError e =
          ApiError.ofHttpStatus(
              response.getStatus(),
              message == null ? HttpStatus.getMessage(response.getStatus()) : message.toString(),
              MAX_BODY_BYTES);
      byte[] body;
      try {
        body = JSON.writeValueAsBytes(e.body());
      } catch (java.io.IOException impossible) {
        throw new java.io.UncheckedIOException(impossible);
      }
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      // Jetty closes the connection after refusing a request at this level; saying so keeps a
      // client from sending its next request on it (Java's HttpClient would, and fail).
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
      response.write(true, ByteBuffer.wrap(body), callback);
      return true;
    }
  }

  private static void error(Context ctx, ApiError e) {
    e.retryAfterSeconds().ifPresent(s -> ctx.header("Retry-After", s));
    ctx.status(e.httpStatus()).json(e.body());
  }

  /** Parses the body as a JSON object or fails with 400. */
  static JsonNode body(Context ctx) {
    try {
      JsonNode node = JSON.readTree(ctx.bodyAsBytes());
      if (node == null || !node.isObject()) {
        throw ApiError.undecodable("the body must be a JSON object").failure();
      }
      return node;
    } catch (java.io.IOException e) {
      throw ApiError.undecodable("the body is not valid JSON").failure();
    }
  }

  static String requiredText(JsonNode parent, String field, String path) {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      throw ApiError.absent(path).failure();
    }
    if (!n.isTextual()) {
      throw ApiError.invalid(path, "must be a string").failure();
    }
    return n.asText();
  }

  private void sendMessage(Context ctx) {
    OutboundMessages.Outbound m = messages.check(body(ctx), ctx.bodyAsBytes());
    String key = ctx.header("Idempotency-Key");
    if (key != null && !IDEMPOTENCY_KEY.matcher(key).matches()) {
      throw ApiError.invalid("Idempotency-Key", "must be 1-128 letters, digits or ._:-").failure();
    }
    // A key is the client's own within its user: another user's same key is another message.
    String messageId =
        key == null ? UUID.randomUUID().toString() : idempotentId(Auth.caller(ctx).username(), key);
    // The request thread goes back to Jetty; the answer is written where the outcome completes.
    ctx.future(
        () ->
            router
                .send(messageId, m, ROUTE_BUDGET)
                .thenAccept(
                    outcome -> {
                      if (outcome instanceof MessageRouter.Outcome.Sent sent) {
                        ctx.status(201)
                            .json(
                                Map.of(
                                    "messages", List.of(Map.of("id", sent.id())), "meta", meta()));
                      } else {
                        MessageRouter.Outcome.NoPrimary np =
                            (MessageRouter.Outcome.NoPrimary) outcome;
                        throw ApiError.notReady(
                                "shard "
                                    + np.shard()
                                    + " has no reachable primary right now ("
                                    + np.detail()
                                    + "); retry with the same Idempotency-Key")
                            .failure();
                      }
                    }));
  }

  /**
   * The message id of a request with {@code Idempotency-Key} {@code key} from {@code username}:
   * {@code key:USERNAME:KEY} (a username has no colon, so the two never run together).
   */
  static String idempotentId(String username, String key) {
    return "key:" + username + ":" + key;
  }

  private void login(Context ctx) {
    String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
    if (!header.startsWith("Basic ")) {
      throw ApiError.unauthorized("Basic authentication (username:password) is required").failure();
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiError.unauthorized("the Basic credentials are not base64").failure();
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      throw ApiError.unauthorized("the Basic credentials must be username:password").failure();
    }
    String newPassword = "";
    if (!ctx.body().isBlank()) {
      JsonNode b = body(ctx);
      if (b.has("new_password")) {
        newPassword = requiredText(b, "new_password", "new_password");
      }
    }
    LoginRequest request =
        LoginRequest.newBuilder()
            .setUsername(decoded.substring(0, colon))
            .setPassword(decoded.substring(colon + 1))
            .setNewPassword(newPassword)
            .build();
    String from = addressKey(ctx.ip());
    Optional<Duration> wait = logins.attempt(from);
    if (wait.isPresent()) {
      throw ApiError.tooMany(
              "too many failed logins from "
                  + ctx.ip()
                  + ": retry in "
                  + LoginThrottle.seconds(wait.get())
                  + " s")
          .failure();
    }
    LoginResponse r;
    try {
      r = admin.call(s -> s.login(request));
    } catch (AdminException e) {
      if (e.kind() != AdminException.Kind.UNAUTHENTICATED) {
        logins.succeeded(from); // counted only when the password was wrong
      }
      throw e;
    }
    logins.succeeded(from);
    String expires = EXPIRES_FORMAT.format(Instant.ofEpochSecond(r.getExpiresAtUnixSeconds()));
    ctx.json(
        Map.of(
            "users", List.of(Map.of("token", r.getToken(), "expires_after", expires)),
            "meta", meta()));
  }

  /**
   * The throttle's key for a client address: an IPv4 address, or an IPv6 address's /64 (one client
   * commonly holds a whole /64, and would otherwise get a fresh count per address).
   */
  static String addressKey(String ip) {
    if (!ip.contains(":")) {
      return "address " + ip;
    }
    try {
      InetAddress a = InetAddress.getByName(ip); // a literal: no lookup
      return a instanceof Inet6Address
          ? "address " + HexFormat.of().formatHex(a.getAddress(), 0, 8) + "::/64"
          : "address " + a.getHostAddress();
    } catch (java.net.UnknownHostException e) {
      return "address " + ip;
    }
  }

  /** The masters' answers as REST errors: the admin half of the error table. */
  private static ApiError fromAdmin(AdminException e) {
    return switch (e.kind()) {
      case INVALID_ARGUMENT -> fieldError(e.getMessage());
      case NO_LEADER -> ApiError.notReady("the control plane has no leader: " + e.getMessage());
      case UNAUTHENTICATED -> ApiError.unauthorized(e.getMessage());
      case FAILED ->
          switch (e.code()) {
            case FAILED_PRECONDITION -> fieldError(e.getMessage());
            case RESOURCE_EXHAUSTED -> ApiError.tooMany(e.getMessage());
            case PERMISSION_DENIED -> ApiError.forbidden(e.getMessage());
            case NOT_FOUND -> ApiError.notFound(e.getMessage());
            // The On-Premises API's code, title and details for a user created twice, with 409
            // rather than its 500: the caller's mistake is no fault of the server (docs/api.md).
            case ALREADY_EXISTS -> new ApiError(409, 1014, "Internal error", e.getMessage());
            default ->
                ApiError.notReady("the control plane did not complete the call: " + e.getMessage());
          };
    };
  }

  /** A description "field: reason" as a 400 naming the field. */
  private static ApiError fieldError(String d) {
    int colon = d.indexOf(": ");
    return colon > 0
        ? ApiError.invalid(d.substring(0, colon), d.substring(colon + 2))
        : ApiError.invalid("request", d);
  }

  private void setShards(Context ctx) {
    Auth.requireAdmin(ctx, "change the shard count");
    JsonNode b = body(ctx);
    String cc = digits(b, "cc", 1, 3);
    String phone = digits(b, "phone_number", 4, 15);
    JsonNode shardsNode = b.get("shards");
    if (shardsNode == null || shardsNode.isNull()) {
      throw ApiError.absent("shards").failure();
    }
    if (!shardsNode.isInt() || !ShardCounts.isAllowed(shardsNode.asInt())) {
      throw ApiError.invalid("shards", "must be one of " + ShardCounts.LIST).failure();
    }
    // Only an account with two-step verification on needs its pin; clients send none, or null.
    if (b.hasNonNull("pin") && !requiredText(b, "pin", "pin").matches("\\d{6}")) {
      throw ApiError.invalid("pin", "must be 6 digits").failure();
    }
    boolean certGiven = b.hasNonNull("cert");
    if (certGiven) {
      String cert = requiredText(b, "cert", "cert");
      boolean base64;
      try {
        base64 = !cert.isBlank() && Base64.getDecoder().decode(cert.trim()).length > 0;
      } catch (IllegalArgumentException e) {
        base64 = false;
      }
      if (!base64) {
        throw ApiError.invalid("cert", "must be base64").failure();
      }
    }
    int shards = shardsNode.asInt();
    try {
      asCaller(ctx)
          .call(
              s ->
                  s.setShardCount(SetShardCountRequest.newBuilder().setShardCount(shards).build()));
    } catch (AdminException e) {
      if (e.kind() == AdminException.Kind.NO_LEADER) {
        throw new ApiError(403, 1005, "Access denied", "the control plane has no leader; retry")
            .failure();
      }
      throw e;
    }
    LOG.info("shard count set to {} for +{} {}", shards, cc, phone);
    Map<String, Object> meta = new LinkedHashMap<>(meta());
    if (!certGiven) {
      meta.put("warning", "no cert given: accepted as from an older client");
    }
    ctx.status(201).json(Map.of("meta", meta));
  }

  private static String digits(JsonNode b, String field, int min, int max) {
    JsonNode n = b.get(field);
    if (n == null || n.isNull()) {
      throw ApiError.absent(field).failure();
    }
    if (!n.isTextual() || !n.asText().matches("\\d{" + min + "," + max + "}")) {
      throw ApiError.invalid(field, "must be a string of " + min + "-" + max + " digits").failure();
    }
    return n.asText();
  }

  /**
   * Every field is a setting, applied, or refused naming it: the application settings first (all in
   * one replicated change), then the intervals (which the masters check against the coreapps'
   * leases).
   */
  private void patchSettings(Context ctx) {
    Auth.requireAdmin(ctx, "change the settings");
    JsonNode b = body(ctx);
    JsonNode app = b.path("settings").path("application");
    JsonNode node = app.isObject() && b.size() == 1 ? app : b;
    Map<String, String> changes = SettingsJson.changes(node);
    UpdateSettingsRequest.Builder intervals = UpdateSettingsRequest.newBuilder();
    intervals.setHeartbeatIntervalMs(seconds(node, SettingsJson.HEARTBEAT));
    intervals.setUnhealthyIntervalMs(seconds(node, SettingsJson.UNHEALTHY));
    boolean timing =
        intervals.getHeartbeatIntervalMs() != 0 || intervals.getUnhealthyIntervalMs() != 0;
    if (changes.isEmpty() && !timing) {
      throw ApiError.noValidParameters().failure();
    }
    AdminClient caller = asCaller(ctx);
    ClusterSettings after = null;
    if (!changes.isEmpty()) {
      after =
          caller.call(
              s ->
                  s.updateApplicationSettings(
                      UpdateApplicationSettingsRequest.newBuilder()
                          .putAllChanges(changes)
                          .build()));
    }
    if (timing) {
      after = caller.call(s -> s.updateSettings(intervals.build()));
    }
    ctx.json(settingsBody(after));
  }

  /** The cluster's settings, from a master. */
  private ClusterSettings settings() {
    return admin.call(s -> s.getSettings(GetSettingsRequest.getDefaultInstance()));
  }

  /**
   * Every application setting back to its default, in one replicated change; the intervals stay as
   * they are (they time failover: changed only on purpose, docs/api.md).
   */
  private void resetSettings(Context ctx) {
    Auth.requireAdmin(ctx, "reset the settings");
    Map<String, String> defaults = new LinkedHashMap<>();
    for (AppSetting s : AppSetting.values()) {
      if (s.section() == AppSetting.Section.APPLICATION) {
        defaults.put(s.apiName(), s.defaultValue());
      }
    }
    asCaller(ctx)
        .call(
            s ->
                s.updateApplicationSettings(
                    UpdateApplicationSettingsRequest.newBuilder().putAllChanges(defaults).build()));
    ctx.json(Map.of("meta", meta()));
  }

  /**
   * The HTTPS certificate an admin uploaded (PEM with its key; "" when none), from a master; the
   * last one read while no master answers.
   */
  private String uploadedCertificate() {
    try {
      uploaded =
          admin
              .call(
                  s -> s.getExternalCertificate(GetExternalCertificateRequest.getDefaultInstance()))
              .getPem();
    } catch (AdminException e) {
      LOG.debug("no master answered for the uploaded certificate: {}", e.getMessage());
    }
    return uploaded;
  }

  /** The admin client acting as the REST caller: its bearer token goes to the masters. */
  private AdminClient asCaller(Context ctx) {
    return admin.withAuthorization(Optional.ofNullable(ctx.header("Authorization")).orElse(""));
  }

  /** A setting in seconds (the On-Premises API's unit); 0 when absent. */
  private static long seconds(JsonNode node, String field) {
    JsonNode n = node.get(field);
    if (n == null || n.isNull()) {
      return 0;
    }
    if (!n.isNumber() || n.asDouble() <= 0) {
      throw ApiError.invalid(field, "must be a positive number of seconds").failure();
    }
    return Math.round(n.asDouble() * 1000);
  }

  private static Map<String, Object> settingsBody(ClusterSettings s) {
    ObjectNode application =
        SettingsJson.json(
            AppSetting.effective(s.getApplicationMap()), AppSetting.Section.APPLICATION);
    application.put(SettingsJson.HEARTBEAT, s.getHeartbeatIntervalMs() / 1000.0);
    application.put(SettingsJson.UNHEALTHY, s.getUnhealthyIntervalMs() / 1000.0);
    return Map.of("settings", Map.of("application", application), "meta", meta());
  }

  static Map<String, Object> meta() {
    return Map.of("api_status", "stable", "version", ApiError.API_VERSION);
  }

  @Override
  public void close() {
    app.stop();
    router.close();
    health.close();
    admin.close();
    watcher.close();
    https.ifPresent(HttpsCertificate::close);
    console.close();
    metrics.close();
  }
}
