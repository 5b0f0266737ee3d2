package io.multiconnect.master.mirror;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.Revocation;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Coreapp;
import io.multiconnect.master.grpc.Protos;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;

/**
 * Writes one {@link ClusterState} to the mirror in one transaction. Every statement is conditional
 * on the row's Raft index (and, for shards, epoch): a state older than what the row holds changes
 * nothing, so a deposed leader's late write is harmless and the mirror never goes backwards.
 */
final class MirrorWriter {
  private static final String CLUSTER =
      "INSERT INTO cluster_state (id, shard_count, last_epoch, raft_index) VALUES (1, ?, ?, ?)"
          + " ON DUPLICATE KEY UPDATE"
          + " shard_count = IF(VALUES(raft_index) > raft_index, VALUES(shard_count), shard_count),"
          + " last_epoch = IF(VALUES(raft_index) > raft_index, VALUES(last_epoch), last_epoch),"
          + " updated_at = IF(VALUES(raft_index) > raft_index, CURRENT_TIMESTAMP(3), updated_at),"
          + " raft_index = GREATEST(raft_index, VALUES(raft_index))";

  /** Newer index and no lower epoch; raft_index is assigned last so the checks see old values. */
  private static final String NEWER = "VALUES(raft_index) > raft_index AND VALUES(epoch) >= epoch";

  private static final String SHARD =
      "INSERT INTO shards (shard, primary_coreapp, primary_address, epoch, raft_index)"
          + " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
          + " primary_coreapp = IF("
          + NEWER
          + ", VALUES(primary_coreapp), primary_coreapp),"
          + " primary_address = IF("
          + NEWER
          + ", VALUES(primary_address), primary_address),"
          + " updated_at = IF("
          + NEWER
          + ", CURRENT_TIMESTAMP(3), updated_at),"
          + " epoch = IF("
          + NEWER
          + ", VALUES(epoch), epoch),"
          + " raft_index = IF(VALUES(raft_index) > raft_index AND VALUES(epoch) >= epoch,"
          + " VALUES(raft_index), raft_index)";

  private static final String DROP_SHARDS =
      "DELETE FROM shards WHERE shard >= ? AND raft_index < ?";

  private static final String COREAPP =
      "INSERT INTO coreapps (id, address, state, shard, epoch, raft_index) VALUES (?, ?, ?, ?, ?, ?)"
          + " ON DUPLICATE KEY UPDATE"
          + " address = IF(VALUES(raft_index) > raft_index, VALUES(address), address),"
          + " state = IF(VALUES(raft_index) > raft_index, VALUES(state), state),"
          + " shard = IF(VALUES(raft_index) > raft_index, VALUES(shard), shard),"
          + " epoch = IF(VALUES(raft_index) > raft_index, VALUES(epoch), epoch),"
          + " updated_at = IF(VALUES(raft_index) > raft_index, CURRENT_TIMESTAMP(3), updated_at),"
          + " raft_index = GREATEST(raft_index, VALUES(raft_index))";

  /** Coreapps deregistered since: every registered one was just written at this index. */
  private static final String DROP_COREAPPS = "DELETE FROM coreapps WHERE raft_index < ?";

  private static final String PUBLIC_KEYS =
      "INSERT INTO token_public_keys (id, jwk_set, api_users, raft_index) VALUES (1, ?, ?, ?)"
          + " ON DUPLICATE KEY"
          + " UPDATE jwk_set = IF(VALUES(raft_index) > raft_index, VALUES(jwk_set), jwk_set),"
          + " api_users = IF(VALUES(raft_index) > raft_index, VALUES(api_users), api_users),"
          + " raft_index = GREATEST(raft_index, VALUES(raft_index))";

  private MirrorWriter() {}

  static void write(Connection c, ClusterState s) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      long index = s.version();
      try (PreparedStatement p = c.prepareStatement(CLUSTER)) {
        p.setInt(1, s.shardCount());
        p.setLong(2, s.lastEpoch());
        p.setLong(3, index);
        p.executeUpdate();
      }
      try (PreparedStatement p = c.prepareStatement(SHARD)) {
        for (int shard = 0; shard < s.shardCount(); shard++) {
          Assignment a = s.assignments().get(shard);
          Coreapp holder = a == null ? null : s.coreapps().get(a.coreappId());
          p.setInt(1, shard);
          setNullable(p, 2, a == null ? null : a.coreappId());
          setNullable(p, 3, holder == null ? null : holder.address());
          p.setLong(4, a == null ? s.lastEpoch() : a.epoch());
          p.setLong(5, index);
          p.addBatch();
        }
        p.executeBatch();
      }
      try (PreparedStatement p = c.prepareStatement(DROP_SHARDS)) {
        p.setInt(1, s.shardCount());
        p.setLong(2, index);
        p.executeUpdate();
      }
      try (PreparedStatement p = c.prepareStatement(COREAPP)) {
        for (Coreapp ca : s.coreapps().values()) {
          Assignment a = s.assignmentOf(ca.id()).orElse(null);
          Revocation r = s.revocationsOf(ca.id()).stream().findFirst().orElse(null);
          p.setString(1, ca.id());
          p.setString(2, ca.address());
          p.setString(
              3,
              a != null
                  ? "primary"
                  : r != null ? "releasing" : ca.drained() ? "drained" : "secondary");
          if (a == null) {
            p.setNull(4, Types.INTEGER);
          } else {
            p.setInt(4, a.shard());
          }
          p.setLong(5, a != null ? a.epoch() : r != null ? r.epoch() : 0);
          p.setLong(6, index);
          p.addBatch();
        }
        p.executeBatch();
      }
      try (PreparedStatement p = c.prepareStatement(DROP_COREAPPS)) {
        p.setLong(1, index);
        p.executeUpdate();
      }
      String publicKeys = s.tokenPublicKeys();
      if (!publicKeys.isEmpty()) {
        try (PreparedStatement p = c.prepareStatement(PUBLIC_KEYS)) {
          p.setString(1, publicKeys);
          p.setBytes(2, Protos.apiUsers(s).toByteArray());
          p.setLong(3, index);
          p.executeUpdate();
        }
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  private static void setNullable(PreparedStatement p, int i, String v) throws SQLException {
    if (v == null) {
      p.setNull(i, Types.VARCHAR);
    } else {
      p.setString(i, v);
    }
  }
}
