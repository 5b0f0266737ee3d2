package io.multiconnect.dataplane.webapp;

import io.javalin.http.Context;
import io.multiconnect.common.auth.ApiAccess;
import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.auth.VerifiedTokens;
import io.multiconnect.dataplane.RoutingTable;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Request authentication: {@code Authorization: Bearer <token>} (issued by the masters at login,
 * verified here with the public keys and checked against the API users that the Watch stream or, at
 * start, the mirror delivered: a revoked token is refused on the next request), or for health and
 * metrics {@code Authorization: Apikey <WA_API_KEY>}. A webapp holds no key that can sign.
 */
final class Auth {
  /** Who a request comes from, for the handlers that check roles. */
  record Caller(String username, ApiAccess.Role role) {}

  private static final String CALLER = "multiconnect.caller";

  private final Supplier<RoutingTable> table;
  private final Optional<ApiKey> apiKey;
  private final Supplier<Instant> wall;

  /** The tokens verified under the current public keys; replaced when the keys change. */
  private final AtomicReference<VerifiedTokens> verified =
      new AtomicReference<>(new VerifiedTokens(""));

  Auth(Supplier<RoutingTable> table, Optional<ApiKey> apiKey, Supplier<Instant> wall) {
    this.table = table;
    this.apiKey = apiKey;
    this.wall = wall;
  }

  /** Authenticates the request's user, or throws a 401 {@link ApiError}. */
  void requireUser(Context ctx) {
    String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
    if (!header.startsWith("Bearer ")) {
      throw ApiError.unauthorized(
              "an Authorization: Bearer token is required (POST /v1/users/login)")
          .failure();
    }
    RoutingTable t = table.get();
    if (t.tokenPublicKeys().isEmpty()) {
      throw ApiError.notReady("cannot check tokens before reaching a master or the mirror once")
          .failure();
    }
    VerifiedTokens keys = verified.get();
    if (!keys.publicKeys().equals(t.tokenPublicKeys())) {
      keys = new VerifiedTokens(t.tokenPublicKeys());
      verified.set(keys);
    }
    Tokens.Token token =
        keys.verify(header.substring(7).trim(), wall.get())
            .orElseThrow(() -> ApiError.unauthorized("the token is invalid or expired").failure());
    Optional<String> revoked = t.access().refusal(token);
    if (revoked.isPresent()) {
      throw ApiError.unauthorized(revoked.get()).failure();
    }
    ctx.attribute(CALLER, new Caller(token.username(), ApiAccess.roleOf(token.username())));
  }

  /** The caller {@link #requireUser} authenticated for this request. */
  static Caller caller(Context ctx) {
    Caller c = ctx.attribute(CALLER);
    if (c == null) {
      throw new IllegalStateException("no authenticated caller on " + ctx.path());
    }
    return c;
  }

  /** Refuses (403) a caller who is not the admin. */
  static void requireAdmin(Context ctx, String what) {
    if (caller(ctx).role() != ApiAccess.Role.ADMIN) {
      throw ApiError.forbidden("only the admin may " + what).failure();
    }
  }

  /** Accepts a bearer token or the API key. */
  void requireUserOrApiKey(Context ctx) {
    if (!byApiKey(ctx)) {
      requireUser(ctx);
    }
  }

  /** Accepts the API key or the admin's token; another user's token is refused (403). */
  void requireAdminOrApiKey(Context ctx, String what) {
    if (!byApiKey(ctx)) {
      requireUser(ctx);
      requireAdmin(ctx, what);
    }
  }

  /** Whether the request shows the API key; throws a 401 when it shows a wrong one. */
  private boolean byApiKey(Context ctx) {
    String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
    if (ApiKey.offered(header) && apiKey.isPresent()) {
      if (apiKey.get().matches(header)) {
        return true;
      }
      throw ApiError.unauthorized("the API key is wrong").failure();
    }
    return false;
  }
}
