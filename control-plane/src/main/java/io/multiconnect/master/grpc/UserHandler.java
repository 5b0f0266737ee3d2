package io.multiconnect.master.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.auth.ApiAccess;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.master.auth.Passwords;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.master.port.StateView;
import io.multiconnect.proto.v1.CreateUserRequest;
import io.multiconnect.proto.v1.DeleteUserRequest;
import io.multiconnect.proto.v1.GetUserRequest;
import io.multiconnect.proto.v1.LogoutRequest;
import io.multiconnect.proto.v1.LogoutResponse;
import io.multiconnect.proto.v1.UpdateUserRequest;
import io.multiconnect.proto.v1.UserInfo;
import java.util.Optional;

/**
 * The On-Premises API's user model on the masters (Admin CreateUser, GetUser, UpdateUser,
 * DeleteUser, Logout), for the caller {@link AdminAuth} authenticated: only the admin creates and
 * deletes users; the admin changes any password and reads any user, a user only its own. A password
 * change and a deletion revoke every token of the user (the entry's index becomes the user's
 * credentials index); a logout revokes the one token the call carries. Writes on the leader only.
 */
final class UserHandler {
  /** The On-Premises API's usernames: 4-32 characters (of those the replicated state allows). */
  static final String USERNAME = "[A-Za-z0-9_.@-]{4,32}";

  private final AdminWrites writes;
  private final StateView state;
  private final NodeClock clock;

  UserHandler(AdminWrites writes, StateView state, NodeClock clock) {
    this.writes = writes;
    this.state = state;
    this.clock = clock;
  }

  void create(CreateUserRequest r, StreamObserver<UserInfo> out) {
    if (!adminOnly("create users", out)) {
      return;
    }
    if (!r.getUsername().matches(USERNAME)) {
      out.onError(
          GrpcErrors.invalid(
              new Rejection("username", "must be 4-32 letters, digits or _.@- characters")));
      return;
    }
    Optional<Rejection> weak = Passwords.checkPolicy("password", r.getPassword());
    if (weak.isPresent()) {
      out.onError(GrpcErrors.invalid(weak.get()));
      return;
    }
    if (state.state().users().containsKey(r.getUsername())) {
      out.onError(
          Status.ALREADY_EXISTS
              .withDescription("Unable to create user. Already exist?")
              .asRuntimeException());
      return;
    }
    write(
        new Command.PutUser(r.getUsername(), Passwords.hash(r.getPassword()), false),
        r.getUsername(),
        out);
  }

  void get(GetUserRequest r, StreamObserver<UserInfo> out) {
    if (!selfOrAdmin(r.getUsername(), "read", out) || !known(r.getUsername(), out)) {
      return;
    }
    out.onNext(info(r.getUsername(), 0));
    out.onCompleted();
  }

  void update(UpdateUserRequest r, StreamObserver<UserInfo> out) {
    if (!selfOrAdmin(r.getUsername(), "change the password of", out)
        || !known(r.getUsername(), out)) {
      return;
    }
    Optional<Rejection> weak = Passwords.checkPolicy("password", r.getPassword());
    if (weak.isPresent()) {
      out.onError(GrpcErrors.invalid(weak.get()));
      return;
    }
    write(
        new Command.PutUser(r.getUsername(), Passwords.hash(r.getPassword()), false),
        r.getUsername(),
        out);
  }

  void delete(DeleteUserRequest r, StreamObserver<UserInfo> out) {
    if (!adminOnly("delete users", out) || !known(r.getUsername(), out)) {
      return;
    }
    if (r.getUsername().equals(ApiAccess.ADMIN_USER)) {
      out.onError(
          GrpcErrors.invalid(new Rejection("username", "the admin account cannot be deleted")));
      return;
    }
    write(new Command.DeleteUser(r.getUsername()), r.getUsername(), out);
  }

  void logout(LogoutRequest r, StreamObserver<LogoutResponse> out) {
    AdminAuth.Caller caller = AdminAuth.caller();
    if (caller.token().isEmpty()) {
      out.onError(
          GrpcErrors.invalid(
              new Rejection(
                  "authorization",
                  "logout revokes the bearer token it is called with; Basic credentials have"
                      + " none")));
      return;
    }
    writes.commit(
        new Command.RevokeToken(
            caller.username(),
            caller.token().get().id(),
            caller.token().get().expiresAt(),
            clock.now()),
        out,
        index -> LogoutResponse.newBuilder().setVersion(index).build());
  }

  private void write(Command command, String username, StreamObserver<UserInfo> out) {
    writes.commit(command, out, index -> info(username, index));
  }

  private static UserInfo info(String username, long version) {
    return UserInfo.newBuilder()
        .setUsername(username)
        .setRole(ApiAccess.roleOf(username).apiName())
        .setVersion(version)
        .build();
  }

  private static boolean adminOnly(String what, StreamObserver<?> out) {
    if (AdminAuth.caller().role() == ApiAccess.Role.ADMIN) {
      return true;
    }
    out.onError(
        Status.PERMISSION_DENIED
            .withDescription("only the admin may " + what)
            .asRuntimeException());
    return false;
  }

  private static boolean selfOrAdmin(String username, String what, StreamObserver<?> out) {
    AdminAuth.Caller caller = AdminAuth.caller();
    if (caller.role() == ApiAccess.Role.ADMIN || caller.username().equals(username)) {
      return true;
    }
    out.onError(
        Status.PERMISSION_DENIED
            .withDescription("only the admin may " + what + " another user")
            .asRuntimeException());
    return false;
  }

  private boolean known(String username, StreamObserver<?> out) {
    if (state.state().users().containsKey(username)) {
      return true;
    }
    out.onError(
        Status.NOT_FOUND.withDescription("no user '" + username + "'").asRuntimeException());
    return false;
  }
}
