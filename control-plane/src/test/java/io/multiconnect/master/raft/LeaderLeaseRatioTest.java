package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.lease.LeaseRules;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.config.RaftTiming;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ratis's leader lease (behind every proof of leadership) tolerates the same clock-rate error as
 * the coreapps' leases, so docs/safety.md can state one bound.
 */
class LeaderLeaseRatioTest {
  @TempDir Path dir;

  @Test
  void theConfiguredLeaderLeaseToleratesTheDriftTheLeaseRulesAssume() {
    RaftProperties props =
        RaftAccess.serverProperties(
            new MasterConfig(
                "m0",
                List.of(new PeerAddress("m0", "127.0.0.1", 7100, 7101)),
                dir,
                MasterConfig.DEFAULT_GROUP_ID,
                1000,
                MasterConfig.MIN_LOG_SEGMENT_BYTES,
                Optional.empty(),
                1,
                false,
                MasterConfig.DEFAULT_DEREGISTER_AFTER,
                Optional.empty(),
                new RaftTiming(Duration.ofMillis(700), Duration.ofMillis(1_400)),
                ""));
    double ratio = RaftServerConfigKeys.Read.leaderLeaseTimeoutRatio(props);
    assertEquals(700, RaftServerConfigKeys.Rpc.timeoutMin(props).toLong(TimeUnit.MILLISECONDS));
    assertEquals(1_400, RaftServerConfigKeys.Rpc.timeoutMax(props).toLong(TimeUnit.MILLISECONDS));
    assertTrue(
        RaftAccess.leaderLeaseDriftBound(ratio) >= LeaseRules.MAX_CLOCK_RATE_DRIFT - 1e-12,
        "ratio " + ratio + " is safe only up to " + RaftAccess.leaderLeaseDriftBound(ratio));
  }

  @Test
  void ratisDefaultIsSafeOnlyForAboutFivePercent() {
    assertEquals(0.9, RaftServerConfigKeys.Read.LEADER_LEASE_TIMEOUT_RATIO_DEFAULT);
    assertEquals(1.0 / 19, RaftAccess.leaderLeaseDriftBound(0.9), 1e-12);
  }
}
