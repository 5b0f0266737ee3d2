package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.CreateUserRequest;
import io.multiconnect.proto.v1.DeleteUserRequest;
import io.multiconnect.proto.v1.GetUserRequest;
import io.multiconnect.proto.v1.LogoutRequest;
import io.multiconnect.proto.v1.UpdateUserRequest;
import io.multiconnect.proto.v1.UserInfo;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The On-Premises API's users: {@code POST /v1/users} (the admin creates a user), {@code GET, PUT,
 * DELETE /v1/users/{username}} (the admin any user, a user itself; only the admin deletes) and
 * {@code POST /v1/users/logout} (revokes the token sent). Each goes to the leader with the caller's
 * token, where the same rules are checked again ({@code UserHandler}); the answers have the real
 * API's shapes. Login stays with {@link WebappServer}.
 */
final class UserRoutes {
  private final Function<Context, AdminClient> asCaller;

  /** {@code asCaller}: the admin client that passes the request's own token to the masters. */
  UserRoutes(Function<Context, AdminClient> asCaller) {
    this.asCaller = asCaller;
  }

  void register(RoutesConfig routes) {
    routes.post("/v1/users/logout", this::logout);
    routes.post("/v1/users", this::create);
    routes.get("/v1/users/{username}", this::get);
    routes.put("/v1/users/{username}", this::update);
    routes.delete("/v1/users/{username}", this::delete);
  }

  private void logout(Context ctx) {
    asCaller.apply(ctx).call(s -> s.logout(LogoutRequest.getDefaultInstance()));
    ctx.json(Map.of("meta", WebappServer.meta()));
  }

  private void create(Context ctx) {
    Auth.requireAdmin(ctx, "create users");
    JsonNode b = WebappServer.body(ctx);
    CreateUserRequest request =
        CreateUserRequest.newBuilder()
            .setUsername(WebappServer.requiredText(b, "username", "username"))
            .setPassword(WebappServer.requiredText(b, "password", "password"))
            .build();
    UserInfo created = asCaller.apply(ctx).call(s -> s.createUser(request));
    ctx.status(201).json(users(Map.of("username", created.getUsername())));
  }

  private void get(Context ctx) {
    String username = ctx.pathParam("username");
    UserInfo u =
        asCaller
            .apply(ctx)
            .call(s -> s.getUser(GetUserRequest.newBuilder().setUsername(username).build()));
    ctx.json(users(Map.of("ROLES", u.getRole(), "username", u.getUsername())));
  }

  private void update(Context ctx) {
    String username = ctx.pathParam("username");
    JsonNode b = WebappServer.body(ctx);
    UpdateUserRequest request =
        UpdateUserRequest.newBuilder()
            .setUsername(username)
            .setPassword(WebappServer.requiredText(b, "password", "password"))
            .build();
    UserInfo u = asCaller.apply(ctx).call(s -> s.updateUser(request));
    ctx.json(users(Map.of("username", u.getUsername())));
  }

  private void delete(Context ctx) {
    Auth.requireAdmin(ctx, "delete users");
    String username = ctx.pathParam("username");
    UserInfo u =
        asCaller
            .apply(ctx)
            .call(s -> s.deleteUser(DeleteUserRequest.newBuilder().setUsername(username).build()));
    ctx.json(users(Map.of("username", u.getUsername())));
  }

  private static Map<String, Object> users(Map<String, String> user) {
    return Map.of("users", List.of(user), "meta", WebappServer.meta());
  }
}
