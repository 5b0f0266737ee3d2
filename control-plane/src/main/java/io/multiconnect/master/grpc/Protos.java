package io.multiconnect.master.grpc;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Coreapp;
import io.multiconnect.master.core.Settings;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMap;

/** Converts core values to their wire form. */
final class Protos {
  private Protos() {}

  static ClusterSettings settings(Settings s) {
    return ClusterSettings.newBuilder()
        .setHeartbeatIntervalMs(s.heartbeatInterval().toMillis())
        .setUnhealthyIntervalMs(s.unhealthyInterval().toMillis())
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
            .setSettings(settings(state.settings()))
            .setTokenPublicKeys(state.tokenPublicKeys());
    for (Assignment a : state.assignments().values()) {
      b.addAssignments(assignment(state, a));
    }
    return b.build();
  }
}
