package io.multiconnect.dataplane.webapp;

import io.javalin.http.Context;
import io.multiconnect.common.auth.Tokens;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Request authentication: {@code Authorization: Bearer <token>} (issued by the masters at login,
 * verified here with the public keys the Watch stream or, at start, the mirror delivered), or for
 * health checks {@code Authorization: Apikey <WA_API_KEY>}. A webapp holds no key that can sign.
 */
final class Auth {
  private final Supplier<String> publicKeys;
  private final Optional<String> apiKey;
  private final Supplier<Instant> wall;

  Auth(Supplier<String> publicKeys, Optional<String> apiKey, Supplier<Instant> wall) {
    this.publicKeys = publicKeys;
    this.apiKey = apiKey;
    this.wall = wall;
  }

  /** The authenticated username, or throws a 401 {@link ApiError}. */
  String requireUser(Context ctx) {
    String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
    if (!header.startsWith("Bearer ")) {
      throw ApiError.unauthorized(
              "an Authorization: Bearer token is required (POST /v1/users/login)")
          .failure();
    }
    String keys = publicKeys.get();
    if (keys.isEmpty()) {
      throw ApiError.notReady("cannot check tokens before reaching a master or the mirror once")
          .failure();
    }
    return Tokens.verify(keys, header.substring(7).trim(), wall.get())
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
}
