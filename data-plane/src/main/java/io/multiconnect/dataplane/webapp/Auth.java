package io.multiconnect.dataplane.webapp;

import io.javalin.http.Context;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.proto.v1.GetTokenKeyRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Request authentication: {@code Authorization: Bearer <token>} (issued by the masters at login,
 * verified here with the cluster's key, fetched once), or for health checks {@code Authorization:
 * Apikey <WA_API_KEY>}.
 */
final class Auth {
  private final AdminClient admin;
  private final Optional<String> apiKey;
  private final Supplier<Instant> wall;
  private volatile String tokenKey = "";

  Auth(AdminClient admin, Optional<String> apiKey, Supplier<Instant> wall) {
    this.admin = admin;
    this.apiKey = apiKey;
    this.wall = wall;
  }

  /** A key found elsewhere (the mirror), used until a master gives one. */
  void seedKey(String key) {
    if (tokenKey.isEmpty()) {
      tokenKey = key;
    }
  }

  /** The authenticated username, or throws a 401 {@link ApiError}. */
  String requireUser(Context ctx) {
    String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
    if (!header.startsWith("Bearer ")) {
      throw ApiError.unauthorized(
              "an Authorization: Bearer token is required (POST /v1/users/login)")
          .failure();
    }
    return Tokens.verify(key(), header.substring(7).trim(), wall.get())
        .orElseThrow(() -> ApiError.unauthorized("the token is invalid or expired").failure());
  }

  /** Accepts a bearer token or the API key. */
  void requireUserOrApiKey(Context ctx) {
    String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
    if (header.startsWith("Apikey ") && apiKey.isPresent()) {
      byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
      if (MessageDigest.isEqual(given, apiKey.get().getBytes(StandardCharsets.UTF_8))) {
        return;
      }
      throw ApiError.unauthorized("the API key is wrong").failure();
    }
    requireUser(ctx);
  }

  private String key() {
    String k = tokenKey;
    if (k.isEmpty()) {
      try {
        k = admin.call(s -> s.getTokenKey(GetTokenKeyRequest.getDefaultInstance())).getKey();
      } catch (AdminException e) {
        throw ApiError.notReady("cannot check tokens before reaching a master once").failure();
      }
      tokenKey = k;
    }
    return k;
  }
}
