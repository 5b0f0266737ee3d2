package io.multiconnect.common.auth;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a verified token may still be used, and what its user may do: the one check masters and
 * webapps share, over the API users of the replicated state (webapps get them over the Watch
 * stream). A token is refused when its user no longer exists, when the credentials index it carries
 * is not the user's current one (the password changed since, or the user was deleted and made
 * again: indexes are never reused), or when its own id was revoked (a logout). Pure and immutable.
 */
public final class ApiAccess {
  /** The On-Premises API's two roles: only the default admin is an ADMIN. */
  public enum Role {
    ADMIN,
    USER;

    /** The name the On-Premises API gives the role ({@code ROLE_ADMIN}, {@code ROLE_USER}). */
    public String apiName() {
      return "ROLE_" + name();
    }
  }

  /** The account every cluster starts with; the one ADMIN, which cannot be deleted. */
  public static final String ADMIN_USER = "admin";

  public static final ApiAccess NONE = new ApiAccess(Map.of());

  /**
   * A user as tokens are checked against it: the Raft index of the entry that last set its
   * password, and the ids of its tokens revoked one by one.
   */
  public record User(String username, long credentialsIndex, Set<String> revokedTokenIds) {
    public User {
      revokedTokenIds = Set.copyOf(revokedTokenIds);
    }
  }

  private final Map<String, User> users;

  private ApiAccess(Map<String, User> users) {
    this.users = users;
  }

  public static ApiAccess of(Collection<User> users) {
    Map<String, User> byName = new HashMap<>();
    users.forEach(u -> byName.put(u.username(), u));
    return new ApiAccess(Map.copyOf(byName));
  }

  public static Role roleOf(String username) {
    return ADMIN_USER.equals(username) ? Role.ADMIN : Role.USER;
  }

  /** Why {@code token} may not be used any more, or empty when it may. */
  public Optional<String> refusal(Tokens.Token token) {
    User user = users.get(token.username());
    if (user == null) {
      return Optional.of("the token's user no longer exists");
    }
    if (user.credentialsIndex() != token.generation()) {
      return Optional.of("the token was revoked: its user's password changed since (log in again)");
    }
    if (user.revokedTokenIds().contains(token.id())) {
      return Optional.of("the token was revoked (logged out)");
    }
    return Optional.empty();
  }
}
