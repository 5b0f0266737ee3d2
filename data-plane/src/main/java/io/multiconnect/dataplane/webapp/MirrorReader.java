package io.multiconnect.dataplane.webapp;

import com.google.protobuf.InvalidProtocolBufferException;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.dataplane.RoutingTable;
import io.multiconnect.proto.v1.ApiUsers;
import io.multiconnect.proto.v1.ShardAssignment;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the routing table, the token public keys and the API users from the MySQL mirror: what a
 * webapp routes from and checks tokens against when it starts while no master answers.
 */
final class MirrorReader {
  private MirrorReader() {}

  static RoutingTable read(MirrorSettings m) throws SQLException {
    try (Connection c = DriverManager.getConnection(m.jdbcUrl(), m.user(), m.password());
        Statement s = c.createStatement()) {
      long version;
      int shardCount;
      try (ResultSet r =
          s.executeQuery("SELECT raft_index, shard_count FROM cluster_state WHERE id = 1")) {
        if (!r.next()) {
          throw new SQLException("the mirror is empty");
        }
        version = r.getLong(1);
        shardCount = r.getInt(2);
      }
      Map<Integer, ShardAssignment> primaries = new TreeMap<>();
      try (ResultSet r =
          s.executeQuery(
              "SELECT shard, primary_coreapp, primary_address, epoch FROM shards"
                  + " WHERE primary_coreapp IS NOT NULL AND shard < "
                  + shardCount)) {
        while (r.next()) {
          primaries.put(
              r.getInt(1),
              ShardAssignment.newBuilder()
                  .setShard(r.getInt(1))
                  .setCoreappId(r.getString(2))
                  .setCoreappAddress(r.getString(3))
                  .setEpoch(r.getLong(4))
                  .build());
        }
      }
      String publicKeys = "";
      ApiUsers users = ApiUsers.getDefaultInstance();
      try (ResultSet r =
          s.executeQuery("SELECT jwk_set, api_users FROM token_public_keys WHERE id = 1")) {
        if (r.next()) {
          publicKeys = r.getString(1);
          byte[] blob = r.getBytes(2);
          users = blob == null ? users : parse(blob);
        }
      }
      return new RoutingTable(
          version, shardCount, primaries, publicKeys, RoutingTable.access(users));
    }
  }

  private static ApiUsers parse(byte[] blob) throws SQLException {
    try {
      return ApiUsers.parseFrom(blob);
    } catch (InvalidProtocolBufferException e) {
      throw new SQLException("the mirror's api_users is not an ApiUsers message", e);
    }
  }
}
