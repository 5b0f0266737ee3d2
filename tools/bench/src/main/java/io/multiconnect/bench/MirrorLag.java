package io.multiconnect.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Commit to MySQL mirror row: each round commits a settings change, reads the index the leader
 * applied, and polls {@code cluster_state.raft_index} in the mirror (every 0.5 ms, on a connection
 * of its own) until it reaches that index. The figure is the time from the admin client's
 * acknowledgement of the commit to the row.
 */
final class MirrorLag {

  private MirrorLag() {}

  static Figure run(Rig rig, int rounds, long baseHeartbeatMs, double targetP99Ms)
      throws SQLException {
    List<Double> lags = new ArrayList<>();
    int missing = 0;
    try (Connection db =
            DriverManager.getConnection(
                rig.lab.mirror().jdbcUrl(), rig.lab.mirror().user(), rig.lab.mirror().password());
        PreparedStatement q =
            db.prepareStatement("SELECT raft_index FROM cluster_state WHERE id = 1")) {
      for (int r = 1; r <= rounds; r++) {
        rig.admin.updateSettings(Rig.roundHeartbeatMs(baseHeartbeatMs, r), 0);
        long acked = System.nanoTime();
        long index = rig.status().getAppliedIndex();
        long deadline = acked + 5_000_000_000L;
        long at = 0;
        while (at == 0 && System.nanoTime() < deadline) {
          try (ResultSet rs = q.executeQuery()) {
            if (rs.next() && rs.getLong(1) >= index) {
              at = System.nanoTime();
            }
          }
          LockSupport.parkNanos(500_000);
        }
        if (at == 0) {
          missing++;
        } else {
          lags.add(Rig.ms(at - acked));
        }
        Rig.pause(20);
      }
    }
    rig.admin.updateSettings(baseHeartbeatMs, 0);
    return Figure.p99AtMost(
        "commit -> MySQL mirror row",
        Distribution.of(lags),
        targetP99Ms,
        missing == 0,
        Map.of("rounds", rounds, "rows missing after 5 s", missing));
  }
}
