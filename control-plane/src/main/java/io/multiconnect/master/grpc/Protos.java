package io.multiconnect.master.grpc;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.settings.AppSetting;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Coreapp;
import io.multiconnect.master.core.Settings;
import io.multiconnect.master.core.User;
import io.multiconnect.proto.v1.ApiUser;
import io.multiconnect.proto.v1.ApiUsers;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMap;

/** Converts core values to their wire form. */
public final class Protos {
  private Protos() {}

  /** The intervals alone: what a heartbeat's answer carries. */
  static ClusterSettings settings(Settings s) {
    return ClusterSettings.newBuilder()
        .setHeartbeatIntervalMs(s.heartbeatInterval().toMillis())
        .setUnhealthyIntervalMs(s.unhealthyInterval().toMillis())
        .build();
  }

  /** Every setting, the application's with their defaults: what the API and the Watch carry. */
  static ClusterSettings settings(ClusterState state) {
    return settings(state.settings()).toBuilder()
        .putAllApplication(AppSetting.effective(state.application()))
        .build();
  }

  static ShardAssignment assignment(ClusterState state, Assignment a) {
    Coreapp c = state.coreapps().get(a.coreappId());
    return ShardAssignment.newBuilder()
        .setShard(a.shard())
        .setCoreappId(a.coreappId())
        .setCoreappAddress(c == null ? "" : c.address())
        .setEpoch(a.epoch())
        .build();
  }

  static ShardMap shardMap(ClusterState state) {
    ShardMap.Builder b =
        ShardMap.newBuilder()
            .setVersion(state.version())
            .setShardCount(state.shardCount())
            .setSettings(settings(state))
            .setTokenPublicKeys(state.tokenPublicKeys())
            .setApiUsers(apiUsers(state));
    for (Assignment a : state.assignments().values()) {
      b.addAssignments(assignment(state, a));
    }
    return b.build();
  }

  /** The API users without their secrets, as webapps check tokens against them. */
  public static ApiUsers apiUsers(ClusterState state) {
    ApiUsers.Builder b = ApiUsers.newBuilder();
    for (User u : state.users().values()) {
      b.addUsers(
          ApiUser.newBuilder()
              .setUsername(u.username())
              .setCredentialsIndex(u.credentialsIndex())
              .addAllRevokedTokenIds(u.revokedTokens().keySet()));
    }
    return b.build();
  }
}
