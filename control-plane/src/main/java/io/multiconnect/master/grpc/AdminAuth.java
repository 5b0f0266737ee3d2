package io.multiconnect.master.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.multiconnect.common.auth.ApiAccess;
import io.multiconnect.common.auth.LoginThrottle;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.tls.CallerRules;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.master.auth.Passwords;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.User;
import io.multiconnect.proto.v1.AdminGrpc;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every Admin call that changes the cluster or concerns a user: the {@code
 * authorization} header must carry {@code Bearer <token>} (a token from Login, the same the REST
 * API issues, not revoked: {@link ApiAccess}) or {@code Basic base64(user:password)} of a user
 * whose password no longer needs changing. The same users as the REST API. Changes to the cluster
 * are the admin's alone (the On-Premises API's {@code ROLE_ADMIN}); the user calls are open to
 * every user and check who may do what themselves, with the caller this interceptor leaves in the
 * call's context ({@link #caller()}). Reads (status, settings, masters) and Login stay open to the
 * nodes the certificate rules let in (docs/api.md).
 */
public final class AdminAuth implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(AdminAuth.class);

  /**
   * Who changed the cluster, or tried to: one line per authenticated Admin write and per refusal,
   * with the user, the calling node's certificate identity and its address. Its own logger name,
   * {@value #AUDIT_LOGGER} ({@code audit} in the master's log), so that an operator can pick the
   * lines out or set its level apart.
   */
  static final String AUDIT_LOGGER = "io.multiconnect.audit";

  static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);

  /** The role each authenticated method needs; the methods not named here need none. */
  static final Map<String, ApiAccess.Role> PROTECTED =
      Map.ofEntries(
          admin(AdminGrpc.getSetShardCountMethod()),
          admin(AdminGrpc.getUpdateSettingsMethod()),
          admin(AdminGrpc.getUpdateApplicationSettingsMethod()),
          admin(AdminGrpc.getBackupMethod()),
          admin(AdminGrpc.getRestoreMethod()),
          admin(AdminGrpc.getMovePrimaryMethod()),
          admin(AdminGrpc.getSetDrainedMethod()),
          admin(AdminGrpc.getTransferLeadershipMethod()),
          admin(AdminGrpc.getTakeSnapshotMethod()),
          admin(AdminGrpc.getRotateTokenKeyMethod()),
          admin(AdminGrpc.getAddMasterMethod()),
          admin(AdminGrpc.getRemoveMasterMethod()),
          admin(AdminGrpc.getSetExternalCertificateMethod()),
          admin(AdminGrpc.getSetClusterVersionMethod()),
          user(AdminGrpc.getCreateUserMethod()),
          user(AdminGrpc.getGetUserMethod()),
          user(AdminGrpc.getUpdateUserMethod()),
          user(AdminGrpc.getDeleteUserMethod()),
          user(AdminGrpc.getLogoutMethod()));

  private static Map.Entry<String, ApiAccess.Role> admin(MethodDescriptor<?, ?> method) {
    return Map.entry(method.getFullMethodName(), ApiAccess.Role.ADMIN);
  }

  private static Map.Entry<String, ApiAccess.Role> user(MethodDescriptor<?, ?> method) {
    return Map.entry(method.getFullMethodName(), ApiAccess.Role.USER);
  }

  /**
   * Whether calls of {@code method} may check a password (bcrypt, 50-100 ms each): Login, and every
   * authenticated method (Basic credentials). They run on a small bounded pool of their own.
   */
  public static boolean checksPasswords(String method) {
    return PROTECTED.containsKey(method)
        || method.equals(AdminGrpc.getLoginMethod().getFullMethodName());
  }

  /** Who an authenticated call comes from: the user, and the token it showed (Bearer only). */
  public record Caller(String username, Optional<Tokens.Token> token) {
    public ApiAccess.Role role() {
      return ApiAccess.roleOf(username);
    }
  }

  /** What {@link #check} found: a caller, or why there is none. */
  sealed interface Check {
    record Accepted(Caller caller) implements Check {}

    record Refused(String reason) implements Check {}
  }

  private static final Context.Key<Caller> CALLER = Context.key("multiconnect-admin-caller");

  /** The user of the current call; set for every method {@link #PROTECTED} names. */
  static Caller caller() {
    return Objects.requireNonNull(CALLER.get(), "no authenticated caller in this call");
  }

  static final String WRONG_PASSWORD = "wrong username or password";

  private final Supplier<ClusterState> state;
  private final Supplier<Instant> wall;
  private final LoginThrottle logins;

  public AdminAuth(Supplier<ClusterState> state, Supplier<Instant> wall, LoginThrottle logins) {
    this.state = state;
    this.wall = wall;
    this.logins = logins;
  }

  /** The throttle's key for a user's password checks (Login and Basic credentials share it). */
  static String throttleKey(String username) {
    return "user " + username;
  }

  /** The refusal of a password check that must wait. */
  static StatusRuntimeException throttled(String username, Duration wait) {
    long seconds = LoginThrottle.seconds(wait);
    return Status.RESOURCE_EXHAUSTED
        .withDescription(
            "too many failed logins for '"
                + username
                + "': retry in "
                + seconds
                + " s (retry_after_seconds="
                + seconds
                + ")")
        .asRuntimeException();
  }

  /** The username of Basic credentials, if they are readable. */
  static Optional<String> basicUser(String authorization) {
    if (authorization == null || !authorization.startsWith("Basic ")) {
      return Optional.empty();
    }
    try {
      String decoded =
          new String(
              Base64.getDecoder().decode(authorization.substring(6).trim()),
              StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      return colon < 0 ? Optional.empty() : Optional.of(decoded.substring(0, colon));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    ApiAccess.Role needed = PROTECTED.get(method);
    if (needed == null) {
      return next.startCall(call, headers);
    }
    String authorization = headers.get(GrpcWire.AUTHORIZATION);
    Optional<String> basicUser = basicUser(authorization);
    boolean counted = basicUser.isPresent() && state.get().users().containsKey(basicUser.get());
    if (counted) {
      Optional<Duration> wait = logins.attempt(throttleKey(basicUser.get()));
      if (wait.isPresent()) {
        StatusRuntimeException e = throttled(basicUser.get(), wait.get());
        audit(call, method, basicUser, Optional.of(e.getStatus().getDescription()));
        call.close(e.getStatus(), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    Check checked = check(state.get(), authorization, wall.get());
    if (counted && !checked.equals(new Check.Refused(WRONG_PASSWORD))) {
      logins.succeeded(throttleKey(basicUser.get()));
    }
    if (checked instanceof Check.Refused refused) {
      Optional<String> user =
          basicUser.isPresent() ? basicUser : bearerUser(state.get(), authorization, wall.get());
      audit(call, method, user, Optional.of(refused.reason()));
      call.close(Status.UNAUTHENTICATED.withDescription(refused.reason()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Caller caller = ((Check.Accepted) checked).caller();
    if (needed == ApiAccess.Role.ADMIN && caller.role() != ApiAccess.Role.ADMIN) {
      String reason = "only the admin may call " + call.getMethodDescriptor().getBareMethodName();
      audit(call, method, Optional.of(caller.username()), Optional.of(reason));
      call.close(Status.PERMISSION_DENIED.withDescription(reason), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    audit(call, method, Optional.of(caller.username()), Optional.empty());
    return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
  }

  /** One audit line: {@code method} by {@code user}, through which node, and its outcome. */
  private static void audit(
      ServerCall<?, ?> call, String method, Optional<String> user, Optional<String> refused) {
    String via = node();
    Object from = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (refused.isPresent()) {
      AUDIT.warn(
          "refused {} for user {} via {} from {}: {}",
          method,
          printable(user.orElse("-")),
          via,
          from,
          refused.get());
    } else {
      AUDIT.info("{} by user {} via {} from {}", method, printable(user.orElse("-")), via, from);
    }
  }

  /**
   * A username as the audit log may show it: control characters replaced (no forged lines), at most
   * 64 characters.
   */
  static String printable(String username) {
    StringBuilder out = new StringBuilder();
    username
        .codePoints()
        .limit(64)
        .forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return username.codePointCount(0, username.length()) > 64 ? out + "..." : out.toString();
  }

  /** The calling node as its certificate names it, for the audit log. */
  static String node() {
    return CallerRules.caller().map(NodeIdentity::toString).orElse("no certificate");
  }

  /** The user a correctly signed token names (revoked or not), if it is one. */
  private static Optional<String> bearerUser(
      ClusterState state, String authorization, Instant now) {
    return authorization != null && authorization.startsWith("Bearer ")
        ? Tokens.verify(state.tokenPublicKeys(), authorization.substring(7).trim(), now)
            .map(Tokens.Token::username)
        : Optional.empty();
  }

  /** Who {@code authorization} authenticates as a user of {@code state}, or why nobody. */
  static Check check(ClusterState state, String authorization, Instant now) {
    if (authorization == null || authorization.isBlank()) {
      return new Check.Refused(
          "credentials required: set MC_ADMIN_TOKEN, or MC_ADMIN_USER and MC_ADMIN_PASSWORD");
    }
    if (authorization.startsWith("Bearer ")) {
      Optional<Tokens.Token> token =
          Tokens.verify(state.tokenPublicKeys(), authorization.substring(7).trim(), now);
      if (token.isEmpty()) {
        return new Check.Refused("invalid or expired token (log in again)");
      }
      Optional<String> revoked = state.apiAccess().refusal(token.get());
      return revoked.isPresent()
          ? new Check.Refused(revoked.get())
          : new Check.Accepted(new Caller(token.get().username(), token));
    }
    if (authorization.startsWith("Basic ")) {
      String decoded;
      try {
        decoded =
            new String(
                Base64.getDecoder().decode(authorization.substring(6).trim()),
                StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return new Check.Refused("malformed Basic credentials");
      }
      int colon = decoded.indexOf(':');
      User user = colon < 0 ? null : state.users().get(decoded.substring(0, colon));
      if (user == null || !Passwords.matches(decoded.substring(colon + 1), user.passwordHash())) {
        return new Check.Refused(WRONG_PASSWORD);
      }
      return user.mustChangePassword()
          ? new Check.Refused(
              "the password of '"
                  + user.username()
                  + "' must be changed first (mcctl login --new-password-file FILE)")
          : new Check.Accepted(new Caller(user.username(), Optional.empty()));
    }
    return new Check.Refused("unsupported authorization scheme (use Bearer or Basic)");
  }
}
