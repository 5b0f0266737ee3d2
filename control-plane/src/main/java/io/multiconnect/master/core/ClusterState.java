package io.multiconnect.master.core;

import io.multiconnect.common.auth.ApiAccess;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.Revocation;
import io.multiconnect.common.settings.AppSetting;
import io.multiconnect.common.shard.ShardCounts;
import io.multiconnect.common.tls.NodeIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The replicated state of the cluster at one Raft index: an immutable value. {@link #apply} is the
 * only way to get a new one, and it is deterministic: the same commands in the same order give the
 * same state on every master, at replay and after a snapshot.
 *
 * @param version Raft index of the last applied entry (0 before any)
 * @param shardCount one of {@link ShardCounts#all()}
 * @param lastEpoch the highest epoch ever handed out; the next assignment gets {@code lastEpoch +
 *     1}, so an epoch is never reused
 * @param assignments shard to its primary; a shard missing here has no primary
 * @param coreapps the registry, by id
 * @param revocations assignments taken away and not yet known to be over
 * @param settings the replicated settings
 * @param leaseBoundInterval the longest {@code unhealthy_interval} under which a lease may still be
 *     outstanding: at least {@code settings.unhealthyInterval()}, larger after a decrease until the
 *     leader settles it
 * @param settingsVersion Raft index of the entry that set the current settings (0: the defaults); a
 *     settle names the settings it was decided on and applies only while they are still current
 * @param users API users by name
 * @param tokenKey the key that signs API tokens (a private P-256 JWK; a bare HMAC secret in a
 *     cluster from before ES256 tokens); empty until the first leader creates it
 * @param retiredTokenKeys public halves of the signing keys rotations replaced, each kept until
 *     every token it signed has expired
 * @param moves shard to the coreapp an operator moved it to, until that coreapp is assigned it; the
 *     planner keeps the target free for that shard
 * @param masters masters added at run time, by id (the initial ones come from configuration)
 * @param externalCertificate the webapps' HTTPS certificate uploaded through the REST API (PEM with
 *     its private key); empty when none was
 * @param application the application settings set explicitly, by API name ({@link AppSetting}); the
 *     others have their defaults
 * @param clusterVersion what this state and the log may hold ({@link ClusterVersion}); only raised
 */
public record ClusterState(
    long version,
    int shardCount,
    long lastEpoch,
    NavigableMap<Integer, Assignment> assignments,
    NavigableMap<String, Coreapp> coreapps,
    List<Revocation> revocations,
    Settings settings,
    Duration leaseBoundInterval,
    long settingsVersion,
    NavigableMap<String, User> users,
    String tokenKey,
    List<Tokens.RetiredKey> retiredTokenKeys,
    NavigableMap<Integer, String> moves,
    NavigableMap<String, Master> masters,
    String externalCertificate,
    NavigableMap<String, String> application,
    int clusterVersion) {

  /** The account every new cluster starts with; its password must be changed at first login. */
  public static final String DEFAULT_ADMIN = ApiAccess.ADMIN_USER;

  /** The longest HTTPS certificate (PEM of key, certificate and intermediates) the state keeps. */
  public static final int MAX_CERTIFICATE_CHARS = 64 * 1024;

  /** The most API users a cluster holds (the state every webapp receives stays bounded). */
  public static final int MAX_USERS = 1_000;

  public static final ClusterState INITIAL =
      new ClusterState(
          0,
          1,
          0,
          new TreeMap<>(),
          new TreeMap<>(),
          List.of(),
          Settings.DEFAULTS,
          Settings.DEFAULTS.unhealthyInterval(),
          0,
          new TreeMap<>(),
          "",
          List.of(),
          new TreeMap<>(),
          new TreeMap<>(),
          "",
          new TreeMap<>(),
          ClusterVersion.INITIAL);

  public ClusterState {
    retiredTokenKeys = List.copyOf(retiredTokenKeys);
    assignments = Collections.unmodifiableNavigableMap(new TreeMap<>(assignments));
    coreapps = Collections.unmodifiableNavigableMap(new TreeMap<>(coreapps));
    revocations = List.copyOf(revocations);
    users = Collections.unmodifiableNavigableMap(new TreeMap<>(users));
    moves = Collections.unmodifiableNavigableMap(new TreeMap<>(moves));
    masters = Collections.unmodifiableNavigableMap(new TreeMap<>(masters));
    application = Collections.unmodifiableNavigableMap(new TreeMap<>(application));
  }

  /** The shard {@code coreappId} is primary of, if any. */
  public Optional<Assignment> assignmentOf(String coreappId) {
    return assignments.values().stream().filter(a -> a.coreappId().equals(coreappId)).findFirst();
  }

  /**
   * Revoked epochs {@code coreappId} has not yet confirmed or outlived, of any of its processes.
   */
  public List<Revocation> revocationsOf(String coreappId) {
    return revocations.stream().filter(r -> r.coreappId().equals(coreappId)).toList();
  }

  /**
   * The process of {@code coreappId} that holds {@code epoch}, as a primary (the registered
   * process: an assignment always belongs to it) or as a pending revocation; empty when neither.
   */
  public Optional<String> holderOf(String coreappId, long epoch) {
    Optional<Assignment> held = assignmentOf(coreappId).filter(a -> a.epoch() == epoch);
    if (held.isPresent()) {
      return Optional.of(coreapps.get(coreappId).incarnation());
    }
    return revocationsOf(coreappId).stream()
        .filter(r -> r.epoch() == epoch)
        .map(Revocation::incarnation)
        .findFirst();
  }

  /**
   * Whether the coreapp is free to take a shard: registered, not drained, no shard, nothing left to
   * release. A spare may still be reserved as the target of a move ({@link #moves}).
   */
  public boolean isSpare(String coreappId) {
    Coreapp c = coreapps.get(coreappId);
    return c != null
        && !c.drained()
        && assignmentOf(coreappId).isEmpty()
        && revocationsOf(coreappId).isEmpty();
  }

  /**
   * Checks a command against this state before it is proposed, so that an invalid command never
   * reaches the log. Returns the reason naming the field, or empty.
   */
  public Optional<Rejection> validate(Command command) {
    if (command instanceof Command.SetClusterVersion c) {
      // A uint32 on the wire: 2^31 and above read as negative.
      return c.version() > clusterVersion
          ? Optional.empty()
          : reject(
              "version",
              c.version() < 0
                  ? "too large"
                  : "the cluster is at version "
                      + clusterVersion
                      + ": a cluster version is only raised");
    }
    int needed = ClusterVersion.requiredBy(command);
    if (needed > clusterVersion) {
      return reject(
          "cluster_version",
          "needs cluster version " + needed + "; the cluster is at " + clusterVersion);
    }
    if (command instanceof Command.RegisterCoreapp c) {
      return validateRegister(c);
    } else if (command instanceof Command.SetShardCount c) {
      return ShardCounts.isAllowed(c.shardCount())
          ? Optional.empty()
          : reject(
              "shard_count",
              "must be one of "
                  + ShardCounts.LIST
                  + ", got "
                  + Integer.toUnsignedString(c.shardCount()));
    } else if (command instanceof Command.AssignPrimary c) {
      return validateAssign(c);
    } else if (command instanceof Command.RemovePrimary c) {
      return validateExpectedEpoch(c.shard(), c.expectedEpoch());
    } else if (command instanceof Command.UpdateSettings c) {
      Settings next = new Settings(c.heartbeatInterval(), c.unhealthyInterval());
      return next.validate().or(() -> budgetProblem(next));
    } else if (command instanceof Command.SettleSettings c) {
      return c.settingsVersion() == settingsVersion
          ? Optional.empty()
          : reject(
              "settings_version",
              "settles the settings of entry "
                  + c.settingsVersion()
                  + ", but the current ones are of entry "
                  + settingsVersion);
    } else if (command instanceof Command.PutUser c) {
      return userProblem(List.of(c));
    } else if (command instanceof Command.SetApplicationSettings c) {
      return applicationProblem(application, c.changes());
    } else if (command instanceof Command.RestoreBackup c) {
      return applicationProblem(Map.of(), c.application()).or(() -> userProblem(c.users()));
    } else if (command instanceof Command.SetExternalCertificate c) {
      return c.pem().contains("PRIVATE KEY") && c.pem().length() <= MAX_CERTIFICATE_CHARS
          ? Optional.empty()
          : reject(
              "pem",
              "must be PEM with a private key, at most " + MAX_CERTIFICATE_CHARS + " characters");
    } else if (command instanceof Command.DeleteUser c) {
      if (c.username().equals(DEFAULT_ADMIN)) {
        return reject("username", "the admin account cannot be deleted");
      }
      return users.containsKey(c.username())
          ? Optional.empty()
          : reject("username", "unknown user '" + c.username() + "'");
    } else if (command instanceof Command.RevokeToken c) {
      return users.containsKey(c.username())
          ? Optional.empty()
          : reject("username", "unknown user '" + c.username() + "'");
    } else if (command instanceof Command.InitAuth) {
      return tokenKey.isEmpty() ? Optional.empty() : reject("token_key", "already initialised");
    } else if (command instanceof Command.RotateTokenKey c) {
      if (!Tokens.isSigningKey(c.tokenKey()) || !Tokens.isSigningKey(tokenKey)) {
        return reject("token_key", "a signing key replaces a signing key");
      }
      return Tokens.keyId(c.tokenKey()).equals(Tokens.keyId(tokenKey))
          ? reject("token_key", "the new key must have a key id of its own")
          : Optional.empty();
    } else if (command instanceof Command.SetTokenKey c) {
      if (!Tokens.isSigningKey(c.tokenKey())) {
        return reject("token_key", "must be a private P-256 JWK");
      }
      return !tokenKey.isEmpty() && !Tokens.isSigningKey(tokenKey)
          ? Optional.empty()
          : reject("token_key", "only a key from before ES256 tokens is replaced");
    } else if (command instanceof Command.MovePrimary c) {
      return validateMove(c);
    } else if (command instanceof Command.SetDrained c) {
      Coreapp known = coreapps.get(c.coreappId());
      if (known == null) {
        return reject("coreapp_id", "unknown coreapp '" + c.coreappId() + "'");
      }
      return c.drained()
          ? Optional.empty()
          : settings
              .budgetProblem(known.id(), known.actingMargin())
              .flatMap(problem -> reject("coreapp_id", problem));
    } else if (command instanceof Command.ConfirmRelease c) {
      return validateRelease(c);
    } else if (command instanceof Command.DeregisterCoreapp c) {
      return validateDeregister(c);
    } else if (command instanceof Command.PutMaster c) {
      return c.master().id().matches("[A-Za-z0-9_.-]{1,64}")
          ? Optional.empty()
          : reject("master_id", "must be 1-64 letters, digits or _.-");
    }
    return Optional.empty();
  }

  /**
   * The first coreapp that may act again (not drained) whose margin {@code next} leaves no room.
   */
  /**
   * Why {@code changes} cannot apply: an unknown setting, a bad value, or a largest webhook backoff
   * below the step it grows by; empty when they can.
   */
  /**
   * The user {@code c} puts at {@code index}: a new password (or a new user) starts new
   * credentials, so the tokens of the old one stop being accepted; the same password keeps them.
   */
  private User put(Command.PutUser c, long index) {
    User known = users.get(c.username());
    return known != null && known.passwordHash().equals(c.passwordHash())
        ? new User(
            c.username(),
            c.passwordHash(),
            c.mustChangePassword(),
            known.credentialsIndex(),
            known.revokedTokens())
        : User.created(c.username(), c.passwordHash(), c.mustChangePassword(), index);
  }

  /** Why {@code put} cannot be put: a malformed name or hash, or more users than allowed. */
  private Optional<Rejection> userProblem(List<Command.PutUser> put) {
    Set<String> after = new HashSet<>(users.keySet());
    for (Command.PutUser c : put) {
      if (!c.username().matches("[A-Za-z0-9_.@-]{1,64}") || !c.passwordHash().startsWith("$2")) {
        return reject("username", "must be 1-64 letters, digits or _.@- with a bcrypt hash");
      }
      after.add(c.username());
    }
    return after.size() <= Math.max(MAX_USERS, users.size())
        ? Optional.empty()
        : reject("username", "the cluster already has " + MAX_USERS + " users");
  }

  /** Why {@code changes} to the application settings {@code from} are refused. */
  private static Optional<Rejection> applicationProblem(
      Map<String, String> from, Map<String, String> changes) {
    for (Map.Entry<String, String> e : changes.entrySet()) {
      Optional<AppSetting> setting = AppSetting.named(e.getKey());
      if (setting.isEmpty()) {
        return reject(e.getKey(), "not an application setting of this API");
      }
      Optional<String> problem = setting.get().problem(e.getValue());
      if (problem.isPresent()) {
        return reject(e.getKey(), problem.get());
      }
    }
    Map<String, String> next = new TreeMap<>(from);
    next.putAll(changes);
    Map<String, String> effective = AppSetting.effective(next);
    long step = Long.parseLong(AppSetting.CALLBACK_BACKOFF_DELAY_MS.in(effective));
    long most = Long.parseLong(AppSetting.MAX_CALLBACK_BACKOFF_DELAY_MS.in(effective));
    return most >= step
        ? Optional.empty()
        : reject(
            AppSetting.MAX_CALLBACK_BACKOFF_DELAY_MS.apiName(),
            "must be at least callback_backoff_delay_ms (" + step + "), got " + most);
  }

  private Optional<Rejection> budgetProblem(Settings next) {
    return coreapps.values().stream()
        .filter(c -> !c.drained())
        .flatMap(c -> next.budgetProblem(c.id(), c.actingMargin()).stream())
        .findFirst()
        .map(problem -> new Rejection("unhealthy_interval", problem));
  }

  private Optional<Rejection> validateMove(Command.MovePrimary c) {
    Optional<Rejection> epoch = validateExpectedEpoch(c.shard(), c.expectedEpoch());
    if (epoch.isPresent()) {
      return epoch;
    }
    Coreapp target = coreapps.get(c.coreappId());
    if (target == null) {
      return reject("coreapp_id", "unknown coreapp '" + c.coreappId() + "'");
    }
    Assignment current = assignments.get(c.shard());
    if (current != null && current.coreappId().equals(c.coreappId())) {
      return reject(
          "coreapp_id", "coreapp '" + c.coreappId() + "' is already primary of shard " + c.shard());
    }
    if (!isSpare(c.coreappId())) {
      return reject(
          "coreapp_id",
          "coreapp '"
              + c.coreappId()
              + "' is not a spare (it is drained, primary of another shard, or releasing one)");
    }
    for (var m : moves.entrySet()) {
      if (m.getValue().equals(c.coreappId()) && m.getKey() != c.shard()) {
        return reject(
            "coreapp_id",
            "coreapp '"
                + c.coreappId()
                + "' is already the target of a move of shard "
                + m.getKey());
      }
    }
    return Optional.empty();
  }

  private Optional<Rejection> validateRelease(Command.ConfirmRelease c) {
    if (!c.thenAssign().stream().allMatch(a -> a.expectedEpoch() == 0)) {
      return reject("then_assign", "may only assign shards without a primary (expected_epoch 0)");
    }
    Optional<String> holder = holderOf(c.coreappId(), c.epoch());
    if (holder.isPresent() && !holder.get().equals(c.incarnation())) {
      return reject(
          "incarnation",
          "epoch "
              + c.epoch()
              + " of coreapp '"
              + c.coreappId()
              + "' is held by process "
              + holder.get()
              + ", not "
              + c.incarnation());
    }
    return Optional.empty();
  }

  private Optional<Rejection> validateDeregister(Command.DeregisterCoreapp c) {
    Coreapp known = coreapps.get(c.coreappId());
    if (known == null) {
      return reject("coreapp_id", "unknown coreapp '" + c.coreappId() + "'");
    }
    if (!known.incarnation().equals(c.incarnation())) {
      return reject(
          "incarnation",
          "coreapp '" + c.coreappId() + "' registered again (process " + known.incarnation() + ")");
    }
    Optional<Assignment> held = assignmentOf(c.coreappId());
    if (held.isPresent()) {
      return reject(
          "coreapp_id",
          "coreapp '" + c.coreappId() + "' is primary of shard " + held.get().shard());
    }
    if (!revocationsOf(c.coreappId()).isEmpty()) {
      return reject("coreapp_id", "coreapp '" + c.coreappId() + "' has an epoch to release");
    }
    return moves.containsValue(c.coreappId())
        ? reject("coreapp_id", "coreapp '" + c.coreappId() + "' is the target of a move")
        : Optional.empty();
  }

  private Optional<Rejection> validateRegister(Command.RegisterCoreapp c) {
    if (!NodeIdentity.isValidId(c.coreappId())) {
      // the same ids a certificate may name: they reach logs, the mirror and metric labels
      return reject(
          "coreapp_id",
          "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }
    if (!c.incarnation().matches("[A-Za-z0-9_-]{1,64}")) {
      return reject(
          "incarnation", "must be 1-64 letters, digits, _ or -, got '" + c.incarnation() + "'");
    }
    if (!c.address().matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
      return reject("address", "must be host:port, got '" + c.address() + "'");
    }
    if (c.actingMargin().isNegative()) {
      return reject("acting_margin", "must not be negative");
    }
    Optional<String> problem = settings.budgetProblem(c.coreappId(), c.actingMargin());
    if (problem.isPresent()) {
      return reject("acting_margin", problem.get() + "; raise unhealthy_interval first");
    }
    return Optional.empty();
  }

  private Optional<Rejection> validateAssign(Command.AssignPrimary c) {
    if (!coreapps.containsKey(c.coreappId())) {
      return reject("coreapp_id", "unknown coreapp '" + c.coreappId() + "'");
    }
    Optional<Assignment> held = assignmentOf(c.coreappId());
    if (held.isPresent() && held.get().shard() != c.shard()) {
      return reject(
          "coreapp_id",
          "coreapp '" + c.coreappId() + "' is already primary of shard " + held.get().shard());
    }
    if (!revocationsOf(c.coreappId()).isEmpty()) {
      return reject("coreapp_id", "coreapp '" + c.coreappId() + "' has not released its old shard");
    }
    for (Revocation r : revocations) {
      if (r.overlaps(c.shard(), shardCount)) {
        return reject(
            "shard",
            "shard " + c.shard() + " overlaps epoch " + r.epoch() + " that is not yet released");
      }
    }
    return validateExpectedEpoch(c.shard(), c.expectedEpoch());
  }

  private Optional<Rejection> validateExpectedEpoch(int shard, long expectedEpoch) {
    if (shard < 0 || shard >= shardCount) {
      return reject("shard", "must be in [0, " + shardCount + "), got " + shard);
    }
    long current = assignments.containsKey(shard) ? assignments.get(shard).epoch() : 0;
    if (current != expectedEpoch) {
      return reject(
          "expected_epoch",
          "shard " + shard + " is at epoch " + current + ", not " + expectedEpoch);
    }
    return Optional.empty();
  }

  private static Optional<Rejection> reject(String field, String message) {
    return Optional.of(new Rejection(field, message));
  }

  /**
   * Applies a committed command at Raft index {@code index}. A command that is no longer valid (the
   * state moved on since the leader checked it) changes nothing but the version: apply never fails,
   * so every master stays identical.
   */
  public ClusterState apply(Command command, long index) {
    if (validate(command).isPresent()) {
      return skip(index);
    }
    if (command instanceof Command.ConfirmRelease c && !c.thenAssign().isEmpty()) {
      ClusterState s = apply(c.alone(), index);
      for (Command.AssignPrimary a : c.thenAssign()) {
        s = s.apply(a, index);
      }
      return s;
    }
    Builder b = new Builder(this, index);
    if (command instanceof Command.RegisterCoreapp c) {
      Coreapp known = coreapps.get(c.coreappId());
      if (known != null && !known.incarnation().equals(c.incarnation())) {
        assignmentOf(c.coreappId()).ifPresent(a -> b.revoke(a.shard()));
      }
      b.coreapps.put(
          c.coreappId(),
          new Coreapp(
              c.coreappId(), c.incarnation(), c.address(), c.actingMargin(), c.zone(), false));
    } else if (command instanceof Command.DeregisterCoreapp c) {
      b.coreapps.remove(c.coreappId());
    } else if (command instanceof Command.SetClusterVersion c) {
      b.clusterVersion = c.version();
    } else if (command instanceof Command.SetShardCount c && c.shardCount() != shardCount) {
      assignments.keySet().forEach(b::revoke);
      b.moves.clear();
      b.shardCount = c.shardCount();
    } else if (command instanceof Command.AssignPrimary c) {
      b.lastEpoch = lastEpoch + 1;
      b.assignments.put(c.shard(), new Assignment(c.shard(), c.coreappId(), b.lastEpoch));
      b.moves.remove(c.shard());
      b.moves.values().remove(c.coreappId());
    } else if (command instanceof Command.MovePrimary c) {
      b.revoke(c.shard());
      b.moves.put(c.shard(), c.coreappId());
    } else if (command instanceof Command.SetDrained c) {
      Coreapp known = b.coreapps.get(c.coreappId());
      b.coreapps.put(known.id(), known.drained(c.drained()));
      if (c.drained()) {
        assignmentOf(c.coreappId()).ifPresent(a -> b.revoke(a.shard()));
        b.moves.values().remove(c.coreappId());
      }
    } else if (command instanceof Command.PutMaster c) {
      b.masters.put(c.master().id(), c.master());
    } else if (command instanceof Command.RemoveMaster c) {
      b.masters.remove(c.masterId());
    } else if (command instanceof Command.RemovePrimary c) {
      b.assignments.remove(c.shard());
    } else if (command instanceof Command.ConfirmRelease c) {
      b.assignments
          .values()
          .removeIf(a -> a.coreappId().equals(c.coreappId()) && a.epoch() == c.epoch());
      b.removeRevocation(c.coreappId(), c.epoch());
      Coreapp known = b.coreapps.get(c.coreappId());
      if (c.leaving() && known != null && known.incarnation().equals(c.incarnation())) {
        b.coreapps.put(known.id(), known.drained(true));
        b.moves.values().remove(known.id());
      }
    } else if (command instanceof Command.ExpireRevocation c) {
      b.removeRevocation(c.coreappId(), c.epoch());
    } else if (command instanceof Command.UpdateSettings c) {
      b.settings = new Settings(c.heartbeatInterval(), c.unhealthyInterval());
      b.settingsVersion = index;
      // With no primary and nothing revoked, no lease can be outstanding: nothing to wait out.
      boolean noLeases = assignments.isEmpty() && revocations.isEmpty();
      b.leaseBoundInterval =
          noLeases ? c.unhealthyInterval() : max(leaseBoundInterval, c.unhealthyInterval());
    } else if (command instanceof Command.SettleSettings) {
      b.leaseBoundInterval = settings.unhealthyInterval();
    } else if (command instanceof Command.PutUser c) {
      b.users.put(c.username(), put(c, index));
    } else if (command instanceof Command.RestoreBackup c) {
      b.application.clear();
      b.application.putAll(c.application());
      c.users().forEach(u -> b.users.put(u.username(), put(u, index)));
    } else if (command instanceof Command.SetExternalCertificate c) {
      b.externalCertificate = c.pem();
    } else if (command instanceof Command.SetApplicationSettings c) {
      b.application.putAll(c.changes());
    } else if (command instanceof Command.DeleteUser c) {
      b.users.remove(c.username());
    } else if (command instanceof Command.RevokeToken c) {
      b.users.put(
          c.username(), users.get(c.username()).revoke(c.tokenId(), c.expiresAt(), c.at(), index));
    } else if (command instanceof Command.SetTokenKey c) {
      b.tokenKey = c.tokenKey();
    } else if (command instanceof Command.RotateTokenKey c) {
      b.retiredTokenKeys.removeIf(r -> c.dropPrevious() || !r.stillNeeded(c.at()));
      if (!c.dropPrevious()) {
        b.retiredTokenKeys.add(new Tokens.RetiredKey(Tokens.publicJwk(b.tokenKey), c.at()));
      }
      b.tokenKey = c.tokenKey();
    } else if (command instanceof Command.InitAuth c) {
      b.tokenKey = c.tokenKey();
      b.users.put(DEFAULT_ADMIN, User.created(DEFAULT_ADMIN, c.adminPasswordHash(), true, index));
    }
    return b.build();
  }

  /**
   * The public keys that verify API tokens, the current one and the retired ones still needed, as a
   * JWK set (JSON); empty before the cluster has a signing key.
   */
  public String tokenPublicKeys() {
    return Tokens.publicKeys(tokenKey, retiredTokenKeys);
  }

  /** The API users as tokens are checked against them. */
  public ApiAccess apiAccess() {
    return ApiAccess.of(
        users.values().stream()
            .map(
                u ->
                    new ApiAccess.User(
                        u.username(), u.credentialsIndex(), u.revokedTokens().keySet()))
            .toList());
  }

  /** The state without its secrets (password hashes, the signing key), for logs and messages. */
  @Override
  public String toString() {
    return "ClusterState[version="
        + version
        + ", shards="
        + shardCount
        + ", lastEpoch="
        + lastEpoch
        + ", assignments="
        + assignments
        + ", coreapps="
        + coreapps.keySet()
        + ", revocations="
        + revocations
        + ", settings="
        + settings
        + "@"
        + settingsVersion
        + ", users="
        + users.keySet()
        + ", tokenKey="
        + Tokens.keyId(tokenKey).orElse(tokenKey.isEmpty() ? "none" : "legacy")
        + ", retiredTokenKeys="
        + retiredTokenKeys.size()
        + ", moves="
        + moves
        + ", masters="
        + masters.keySet()
        + ", externalCertificate="
        + (externalCertificate.isEmpty() ? "none" : "set")
        + "]";
  }

  /** This state at Raft index {@code index}, for an entry that changes nothing else. */
  public ClusterState skip(long index) {
    return new Builder(this, index).build();
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** Mutable working copy used only inside {@link #apply}. */
  private static final class Builder {
    private final long version;
    private int shardCount;
    private long lastEpoch;
    private final TreeMap<Integer, Assignment> assignments;
    private final TreeMap<String, Coreapp> coreapps;
    private final List<Revocation> revocations;
    private Settings settings;
    private Duration leaseBoundInterval;
    private long settingsVersion;
    private final TreeMap<String, User> users;
    private String tokenKey;
    private final List<Tokens.RetiredKey> retiredTokenKeys;
    private final TreeMap<Integer, String> moves;
    private final TreeMap<String, Master> masters;
    private String externalCertificate;
    private final TreeMap<String, String> application;
    private int clusterVersion;

    Builder(ClusterState s, long version) {
      this.version = version;
      this.shardCount = s.shardCount;
      this.lastEpoch = s.lastEpoch;
      this.assignments = new TreeMap<>(s.assignments);
      this.coreapps = new TreeMap<>(s.coreapps);
      this.revocations = new ArrayList<>(s.revocations);
      this.settings = s.settings;
      this.leaseBoundInterval = s.leaseBoundInterval;
      this.settingsVersion = s.settingsVersion;
      this.users = new TreeMap<>(s.users);
      this.tokenKey = s.tokenKey;
      this.retiredTokenKeys = new ArrayList<>(s.retiredTokenKeys);
      this.moves = new TreeMap<>(s.moves);
      this.masters = new TreeMap<>(s.masters);
      this.externalCertificate = s.externalCertificate;
      this.application = new TreeMap<>(s.application);
      this.clusterVersion = s.clusterVersion;
    }

    /**
     * Takes {@code shard} from its primary, if it has one, until the primary (the process
     * registered now) has let go.
     */
    void revoke(int shard) {
      Assignment a = assignments.remove(shard);
      if (a != null) {
        String holder = coreapps.get(a.coreappId()).incarnation();
        revocations.add(new Revocation(a.coreappId(), holder, a.shard(), shardCount, a.epoch()));
      }
    }

    void removeRevocation(String coreappId, long epoch) {
      revocations.removeIf(r -> r.coreappId().equals(coreappId) && r.epoch() == epoch);
    }

    ClusterState build() {
      return new ClusterState(
          version,
          shardCount,
          lastEpoch,
          assignments,
          coreapps,
          revocations,
          settings,
          leaseBoundInterval,
          settingsVersion,
          users,
          tokenKey,
          retiredTokenKeys,
          moves,
          masters,
          externalCertificate,
          application,
          clusterVersion);
    }
  }
}
