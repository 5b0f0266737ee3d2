package io.multiconnect.master;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.net.LoopbackPorts;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.proto.v1.AddMasterRequest;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.MasterStatus;
import io.multiconnect.proto.v1.SetClusterVersionRequest;
import io.multiconnect.proto.v1.TakeSnapshotRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster version with masters of two releases ({@link MiniCluster#restart(int, long, int)}: a
 * master that supports cluster version 1 stands for the earlier release): the version is raised
 * only once every master supports it, and a master of the earlier release that meets the raised
 * version, in the log or in a snapshot, stops instead of applying it while the others serve on.
 */
@Tag("slow")
class ClusterVersionTest {
  private static final int NEW = 2;
  private static final int OLD = 1;

  @TempDir Path dir;
  private MiniCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private SetClusterVersionRequest raiseTo(int version) {
    return SetClusterVersionRequest.newBuilder().setVersion(version).build();
  }

  private AdminGrpc.AdminBlockingStub leaderAdmin() {
    return cluster.admin(cluster.awaitLeader(Duration.ofSeconds(20)));
  }

  /** An admin write through the leader: the cluster still takes writes. */
  private void write(long heartbeatMs) {
    leaderAdmin()
        .updateSettings(
            UpdateSettingsRequest.newBuilder()
                .setHeartbeatIntervalMs(heartbeatMs)
                .setUnhealthyIntervalMs(5_000)
                .build());
  }

  @Test
  void theVersionIsRaisedOnlyOverMastersThatSupportItAndAnOlderReleaseStopsAtIt() throws Exception {
    cluster = MiniCluster.start(3, dir, 10_000);
    cluster.kill(0);
    cluster.kill(1);
    cluster.restart(0, 10_000, NEW);
    cluster.restart(1, 10_000, NEW);
    ClusterStatus status = leaderAdmin().getStatus(GetStatusRequest.getDefaultInstance());
    assertEquals(1, status.getClusterVersion());
    assertEquals(
        Map.of("m0", NEW, "m1", NEW, "m2", OLD),
        status.getMastersList().stream()
            .collect(
                Collectors.toMap(MasterStatus::getId, MasterStatus::getSupportedClusterVersion)));

    // Only the admin raises it: a caller without credentials is refused before anything is asked.
    StatusRuntimeException stranger =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                AdminGrpc.newBlockingStub(
                        cluster.channel(cluster.awaitLeader(Duration.ofSeconds(20))))
                    .setClusterVersion(raiseTo(NEW)));
    assertEquals(Status.Code.UNAUTHENTICATED, stranger.getStatus().getCode());

    // m2 runs the earlier release: refused, naming it.
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class, () -> leaderAdmin().setClusterVersion(raiseTo(NEW)));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(
        refused
            .getStatus()
            .getDescription()
            .startsWith("master m2 runs a release that supports cluster version 1"),
        refused.getStatus().toString());
    StatusRuntimeException notAbove =
        assertThrows(
            StatusRuntimeException.class, () -> leaderAdmin().setClusterVersion(raiseTo(1)));
    assertEquals(Status.Code.INVALID_ARGUMENT, notAbove.getStatus().getCode());

    // Upgrade m2, then raise: every master applies it.
    cluster.kill(2);
    cluster.restart(2, 10_000, NEW);
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> leaderAdmin().setClusterVersion(raiseTo(NEW)).getClusterVersion() == NEW);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> cluster.upNodes().stream().allMatch(n -> n.state().clusterVersion() == NEW));
    write(500);

    // A master of the earlier release is not added to a raised cluster.
    PeerAddress m3 = new PeerAddress("m3", "127.0.0.1", LoopbackPorts.next(), LoopbackPorts.next());
    List<PeerAddress> peers = new ArrayList<>(cluster.peers);
    peers.add(m3);
    MasterConfig joining = MiniCluster.joining("m3", peers, dir.resolve("m3"));
    try (MasterNode old =
        new MasterNode(joining, NodeClock.system(), TestTls.PLAINTEXT, OLD).start()) {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  leaderAdmin()
                      .addMaster(
                          AddMasterRequest.newBuilder()
                              .setMasterId("m3")
                              .setRaftAddress(m3.raftAddress())
                              .setApiAddress(m3.apiAddress())
                              .build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(
          e.getStatus()
              .getDescription()
              .contains("m3 runs a release that supports cluster version 1 at most"),
          e.getStatus().toString());
    }

    // m2 rolled back to the earlier release. Ratis took a snapshot of the raised state as m2
    // stopped; without it (as with a snapshot older than the raise) m2 replays its log, meets the
    // raise and stops.
    cluster.kill(2);
    MiniCluster.deleteSnapshots(dir.resolve("m2"));
    cluster.restart(2, 10_000, OLD);
    String reason = cluster.node(2).incompatible().get(30, TimeUnit.SECONDS);
    assertTrue(
        reason.contains("needs cluster version 2, and this master's release supports up to 1"),
        reason);
    assertTrue(cluster.node(2).state().clusterVersion() < NEW, "it did not apply the raise");
    write(600);
    cluster.kill(2);

    // A master of the earlier release refuses to start from a snapshot of the raised version.
    int snapshotter = cluster.awaitLeader(Duration.ofSeconds(20));
    cluster.admin(snapshotter).takeSnapshot(TakeSnapshotRequest.getDefaultInstance());
    cluster.kill(snapshotter);
    IOException e =
        assertThrows(IOException.class, () -> cluster.restart(snapshotter, 10_000, OLD));
    assertTrue(String.valueOf(e.getMessage()).contains("needs cluster version 2"), e.toString());
  }
}
