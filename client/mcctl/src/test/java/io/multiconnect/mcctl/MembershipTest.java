package io.multiconnect.mcctl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.client.AdminClient;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.net.LoopbackPorts;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.master.MasterNode;
import io.multiconnect.master.MiniCluster;
import io.multiconnect.master.TestCoreapp;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.proto.v1.MasterStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Grows the masters from 3 to 5 with {@code mcctl master add} and shrinks them back with {@code
 * mcctl master remove} while coreapps heartbeat with a 1 s unhealthy_interval: no failover.
 */
@Timeout(120)
@Tag("slow")
class MembershipTest {

  private static String mcctl(MiniCluster cluster, String masters, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of("--masters", masters, "--timeout", "20", "--token", cluster.adminToken()));
    all.addAll(List.of(args));
    McctlRun r = McctlRun.of(all.toArray(String[]::new));
    assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.err());
    return r.out();
  }

  @Test
  void growToFiveAndBackWithoutFailover(@TempDir Path dir) throws Exception {
    List<TestCoreapp> coreapps = new ArrayList<>();
    List<MasterNode> added = new ArrayList<>();
    try (MiniCluster cluster = MiniCluster.start(3, dir, 10_000)) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(15));
      String masters =
          cluster.peers.stream().map(PeerAddress::apiAddress).collect(Collectors.joining(","));
      mcctl(
          cluster,
          masters,
          "settings",
          "set",
          "--heartbeat-interval",
          "0.1",
          "--unhealthy-interval",
          "1");
      for (String id : List.of("a", "b", "c")) {
        coreapps.add(new TestCoreapp(id, cluster.peers).start());
      }
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> cluster.node(leader).state().assignments().size() == 1);
      MasterNode leaderNode = cluster.node(leader);
      ClusterState before = leaderNode.state();

      List<PeerAddress> peers = new ArrayList<>(cluster.peers);
      for (String id : List.of("m3", "m4")) {
        PeerAddress p =
            new PeerAddress(id, "127.0.0.1", LoopbackPorts.next(), LoopbackPorts.next());
        peers.add(p);
        // The new master starts in join mode (outside the group), then is added.
        added.add(
            new MasterNode(
                    MiniCluster.joining(id, peers, dir.resolve(id)),
                    NodeClock.system(),
                    TestTls.PLAINTEXT)
                .start());
        String out = mcctl(cluster, masters, "master", "add", id, p.raftAddress(), p.apiAddress());
        assertTrue(out.contains(id + " "), out);
      }
      try (AdminClient client = new AdminClient(List.of(masters.split(",")), TestTls.PLAINTEXT)) {
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () -> {
                  List<MasterStatus> list = client.listMasters();
                  long applied = leaderNode.state().version();
                  return list.size() == 5
                      && list.stream()
                          .allMatch(m -> m.getError().isEmpty() && m.getAppliedIndex() >= applied);
                });
        // The new masters caught up: they hold the same state as the leader.
        for (MasterNode m : added) {
          await().atMost(Duration.ofSeconds(5)).until(() -> m.state().equals(leaderNode.state()));
        }
        // They know the leader, and the leader knows their API addresses.
        assertEquals(Optional.of("m" + leader), added.get(1).leaderHint().map(PeerAddress::id));
        String status = mcctl(cluster, masters, "master", "list");
        assertEquals(6, status.lines().count(), status);

        mcctl(cluster, masters, "master", "remove", "m4");
        mcctl(cluster, masters, "master", "remove", "m3");
        assertEquals(3, client.listMasters().size());
      }
      for (MasterNode m : added) {
        m.close();
      }
      added.clear();

      // Coreapps kept heartbeating through both changes: the leader never failed anything over.
      ClusterState after = leaderNode.state();
      System.out.printf(
          "membership 3 -> 5 -> 3: leader before m%d, after %s; last epoch %d -> %d%n",
          leader,
          cluster.leaderIndex().map(i -> "m" + i).orElse("none"),
          before.lastEpoch(),
          after.lastEpoch());
      assertEquals(before.lastEpoch(), after.lastEpoch(), "no new epoch: no failover");
      assertEquals(before.assignments(), after.assignments());
      // And the group still commits with three members.
      mcctl(cluster, masters, "settings", "set", "--unhealthy-interval", "2");
    } finally {
      for (MasterNode m : added) {
        m.close();
      }
      for (TestCoreapp c : coreapps) {
        c.close();
      }
    }
  }
}
