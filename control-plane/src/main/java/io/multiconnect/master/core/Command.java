package io.multiconnect.master.core;

import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.log.Redact;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A change to the replicated state: one Raft log entry. Only the leader creates commands; every
 * master applies the committed ones with {@link ClusterState#apply}, in log order.
 */
public sealed interface Command {

  /**
   * Adds a coreapp to the registry, or updates its address; a registration undrains it. A new
   * {@code incarnation} (another process with this id: a restart, or a second process started by
   * mistake) revokes the shard the previous process held: it may still be acting on it, and only
   * its own release or the revocation's expiry frees it. {@code zone} is its failure domain, empty
   * when it names none (the planner's placement, {@link Planner}).
   */
  record RegisterCoreapp(
      String coreappId, String incarnation, String address, Duration actingMargin, String zone)
      implements Command {

    /** A registration of a coreapp that names no zone. */
    public RegisterCoreapp(
        String coreappId, String incarnation, String address, Duration actingMargin) {
      this(coreappId, incarnation, address, actingMargin, "");
    }

    /** A registration of a coreapp that stops acting only when its lease ends, in no zone. */
    public RegisterCoreapp(String coreappId, String incarnation, String address) {
      this(coreappId, incarnation, address, Duration.ZERO);
    }
  }

  /**
   * Removes a coreapp from the registry: the leader has not heard process {@code incarnation} for
   * the master's {@code coreapp.deregister.after.seconds}. Applies only while that process is the
   * registered one and holds nothing (no shard, no epoch to release, not the target of a move), so
   * no lease can be outstanding; if it comes back, it is told it is unknown and registers again.
   */
  record DeregisterCoreapp(String coreappId, String incarnation) implements Command {}

  /**
   * Changes the shard count. Every current assignment is revoked, because the recipients each
   * primary serves change; new primaries are placed once the old ones released or their leases ran
   * out.
   */
  record SetShardCount(int shardCount) implements Command {}

  /**
   * Makes {@code coreappId} the primary of {@code shard} with the next epoch. {@code expectedEpoch}
   * is the shard's epoch when the leader decided (0: none); a stale decision applies as a no-op.
   * Replacing a live primary this way is only correct once its lease has surely expired: the
   * planner issues it after {@code unhealthy_interval} of silence.
   */
  record AssignPrimary(int shard, String coreappId, long expectedEpoch) implements Command {}

  /** Leaves {@code shard} without a primary (its primary is dead and no spare is healthy). */
  record RemovePrimary(int shard, long expectedEpoch) implements Command {}

  /**
   * Process {@code incarnation} of the coreapp confirms it stopped acting on {@code epoch} (it
   * disconnected first). Clears the assignment or the revocation with that epoch, if that process
   * held it; a release from another process of the same id changes nothing. {@code leaving}: it is
   * shutting down, so it is drained and given no shard until it registers again (only while it is
   * still the registered process).
   *
   * <p>{@code thenAssign}: primaries for shards without one, planned by the leader on the state
   * with this release applied ({@link Coordinator#release}). Each is applied right after the
   * release, in the same entry, exactly as an {@link AssignPrimary} entry of its own would be: a
   * no-op when no longer valid. A planned move or drain then needs one commit after the release,
   * not two.
   */
  record ConfirmRelease(
      String coreappId,
      String incarnation,
      long epoch,
      boolean leaving,
      List<AssignPrimary> thenAssign)
      implements Command {
    public ConfirmRelease {
      thenAssign = List.copyOf(thenAssign);
    }

    /** A release that assigns nothing. */
    public ConfirmRelease(String coreappId, String incarnation, long epoch, boolean leaving) {
      this(coreappId, incarnation, epoch, leaving, List.of());
    }

    /** The release alone, without the assignments that follow it. */
    public ConfirmRelease alone() {
      return new ConfirmRelease(coreappId, incarnation, epoch, leaving);
    }
  }

  /** The leader knows the holder's lease for a revoked epoch has run out. */
  record ExpireRevocation(String coreappId, long epoch) implements Command {}

  /**
   * Moves {@code shard} to {@code coreappId}, gracefully: the current primary (epoch {@code
   * expectedEpoch}, 0 when the shard has none) is revoked and releases on its next heartbeat; the
   * shard is then assigned to the target, which is kept free for it until then.
   */
  record MovePrimary(int shard, String coreappId, long expectedEpoch) implements Command {}

  /**
   * Drains a coreapp (its shard is revoked and it is given none) or undrains it (it may take a
   * shard again).
   */
  record SetDrained(String coreappId, boolean drained) implements Command {}

  /** Records the addresses of a master about to join the Raft group. */
  record PutMaster(Master master) implements Command {}

  /** Forgets the addresses of a master that left the Raft group. */
  record RemoveMaster(String masterId) implements Command {}

  /** Creates or updates an API user. */
  record PutUser(String username, String passwordHash, boolean mustChangePassword)
      implements Command {
    @Override
    public String toString() {
      return "PutUser[" + username + ", must change: " + mustChangePassword + "]"; // no hash
    }
  }

  /**
   * Stores the webapps' HTTPS certificate (PEM: its key, the certificate, its intermediates),
   * checked by the leader before it is proposed.
   */
  record SetExternalCertificate(String pem) implements Command {
    @Override
    public String toString() {
      return "SetExternalCertificate[" + pem.length() + " characters of PEM]"; // holds a key
    }
  }

  /**
   * Changes application settings ({@link io.multiconnect.common.settings.AppSetting}), each by its
   * API name to its value as text; the others keep theirs.
   */
  record SetApplicationSettings(Map<String, String> changes) implements Command {
    public SetApplicationSettings {
      changes = Map.copyOf(changes);
    }

    @Override
    public String toString() {
      // A webhook URL may carry credentials; the admin log line prints the command.
      return "SetApplicationSettings[changes=" + Redact.urls(changes.toString()) + "]";
    }
  }

  /**
   * A backup restored: the application settings become exactly {@code application}, and each of
   * {@code users} is put as {@link PutUser} would put it; users the backup does not name stay.
   */
  record RestoreBackup(Map<String, String> application, List<PutUser> users) implements Command {
    public RestoreBackup {
      application = Map.copyOf(application);
      users = List.copyOf(users);
    }

    @Override
    public String toString() {
      return "RestoreBackup["
          + application.size()
          + " settings, users "
          + users.stream().map(PutUser::username).toList()
          + "]";
    }
  }

  /** Removes an API user; every token it holds stops being accepted. Never the default admin. */
  record DeleteUser(String username) implements Command {}

  /**
   * Revokes one token of a user (a logout): its id, kept until {@code expiresAt}; {@code at} is the
   * proposing leader's clock, by which the user's revoked tokens that expired are forgotten.
   */
  record RevokeToken(String username, String tokenId, Instant expiresAt, Instant at)
      implements Command {}

  /**
   * First start of a cluster: the key that signs API tokens and the default admin user. Applies
   * only while no key exists.
   */
  record InitAuth(String tokenKey, String adminPasswordHash) implements Command {
    @Override
    public String toString() {
      return "InitAuth[a new token key and the default admin]"; // never the key in a log
    }
  }

  /**
   * Replaces a token key from before ES256 tokens with a signing key (a private P-256 JWK). Applies
   * only while the key is of the old kind; the users stay as they are.
   */
  record SetTokenKey(String tokenKey) implements Command {
    @Override
    public String toString() {
      return "SetTokenKey[kid=" + Tokens.keyId(tokenKey).orElse("?") + "]";
    }
  }

  /**
   * A new signing key ({@code mcctl auth rotate-key}); the old one's public half keeps verifying
   * the tokens it signed before {@code at} (the proposing leader's clock) until they have expired,
   * unless {@code dropPrevious}: then no older key's token is accepted any more.
   */
  record RotateTokenKey(String tokenKey, Instant at, boolean dropPrevious) implements Command {
    @Override
    public String toString() {
      return "RotateTokenKey[kid="
          + Tokens.keyId(tokenKey).orElse("?")
          + ", at="
          + at
          + (dropPrevious ? ", dropping the previous keys" : "")
          + "]";
    }
  }

  /** Changes the replicated settings. */
  record UpdateSettings(Duration heartbeatInterval, Duration unhealthyInterval)
      implements Command {}

  /**
   * Every lease granted under an older, longer {@code unhealthy_interval} has run out: failure
   * detection may use the current one. {@code settingsVersion} names the settings the leader waited
   * out ({@link ClusterState#settingsVersion}); if they changed since, the settle applies as a
   * no-op, because leases granted under the settings in between were not waited for.
   */
  record SettleSettings(long settingsVersion) implements Command {}

  /**
   * Raises the cluster version to {@code version} ({@link ClusterVersion}): commands and fields of
   * that version may be written from the next entry on. The entry itself needs {@code version}, so
   * a master of a release that does not support it stops here.
   */
  record SetClusterVersion(int version) implements Command {}
}
