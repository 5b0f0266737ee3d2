package io.multiconnect.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.master.MiniCluster;
import io.multiconnect.master.TestCoreapp;
import io.multiconnect.master.config.PeerAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** mcctl against three real masters, asserting on captured output and exit codes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McctlTest {
  private MiniCluster cluster;
  private final List<TestCoreapp> coreapps = new ArrayList<>();
  private String masters;

  /** One mcctl run: exit code, standard output, standard error. */
  record Run(int exit, String out, String err) {}

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    cluster = MiniCluster.start(3, dir, 10_000);
    cluster.awaitLeader(Duration.ofSeconds(15));
    masters = cluster.peers.stream().map(PeerAddress::apiAddress).collect(Collectors.joining(","));
    assertEquals(
        0,
        mcctl("settings", "set", "--heartbeat-interval", "0.1", "--unhealthy-interval", "1")
            .exit());
    coreapps.add(new TestCoreapp("a", cluster.peers).start());
    coreapps.add(new TestCoreapp("b", cluster.peers).start());
  }

  @AfterAll
  void stop() throws InterruptedException {
    for (TestCoreapp c : coreapps) {
      c.close();
    }
    cluster.close();
  }

  private Run mcctl(String... args) {
    List<String> all = new ArrayList<>(List.of("--masters", masters));
    all.addAll(List.of(args));
    return run(all.toArray(String[]::new));
  }

  private static Run run(String... args) {
    CommandLine cmd = Mcctl.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void statusNamesTheLeaderTheMastersReport() {
    String leader = "m" + cluster.leaderIndex().orElseThrow();
    Run table = mcctl("status");
    assertEquals(0, table.exit(), table.err());
    assertTrue(table.out().startsWith("leader " + leader + " "), table.out());
    assertTrue(table.out().contains("MASTER") && table.out().contains("COREAPP"), table.out());
    Run json = mcctl("--json", "status");
    assertEquals(0, json.exit(), json.err());
    assertTrue(json.out().contains("\"leader\" : \"" + leader + "\""), json.out());
  }

  @Test
  void shardsGetAndSetWithErrors() {
    Run bad = mcctl("shards", "set", "3");
    assertEquals(1, bad.exit());
    assertEquals("mcctl: shard_count: must be one of 1, 2, 4, 8, 16, 32, got 3\n", bad.err());

    Run tooMany = mcctl("shards", "set", "4");
    assertEquals(1, tooMany.exit());
    assertTrue(tooMany.err().contains("healthy coreapps"), tooMany.err());

    await().atMost(Duration.ofSeconds(10)).until(() -> mcctl("shards", "set", "2").exit() == 0);
    Run get = mcctl("shards", "get");
    assertEquals("shards: 2\n", get.out());
    assertEquals("{\n  \"shards\" : 2\n}\n", mcctl("--json", "shards", "get").out());
  }

  @Test
  void settingsGetAndSetWithErrors() {
    Run get = mcctl("settings", "get");
    assertEquals(0, get.exit(), get.err());
    assertTrue(get.out().contains("unhealthy_interval: "), get.out());

    Run bad = mcctl("settings", "set", "--unhealthy-interval", "0.1");
    assertEquals(1, bad.exit());
    assertTrue(bad.err().startsWith("mcctl: unhealthy_interval: must be at least"), bad.err());

    Run nothing = mcctl("settings", "set");
    assertEquals(2, nothing.exit(), "usage error");
    assertTrue(nothing.err().contains("--heartbeat-interval"), nothing.err());
  }

  @Test
  void noLeaderReachableIsExitThreeWithOneLine() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run r = run("--masters", "127.0.0.1:" + closed, "--timeout", "0.3", "status");
    assertEquals(3, r.exit());
    assertTrue(r.err().startsWith("mcctl: no leader reachable at 127.0.0.1:" + closed), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
  }

  @Test
  void leaderTransferAndSnapshot() {
    int from = cluster.leaderIndex().orElseThrow();
    String to = "m" + ((from + 1) % 3);
    Run moved = mcctl("leader", "transfer", to);
    assertEquals(0, moved.exit(), moved.err());
    assertEquals("leader is now " + to + "\n", moved.out());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> mcctl("status").out().startsWith("leader " + to + " "));

    Run unknown = mcctl("leader", "transfer", "m9");
    assertEquals(1, unknown.exit());
    assertEquals("mcctl: master_id: unknown master 'm9'\n", unknown.err());

    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.leaderIndex().isPresent());
    Run snap = mcctl("--json", "snapshot");
    assertEquals(0, snap.exit(), snap.err());
    assertTrue(snap.out().contains("\"master\" : \"" + to + "\""), snap.out());
    var snapshot =
        cluster
            .node(Integer.parseInt(to.substring(1)))
            .raft()
            .division()
            .getStateMachine()
            .getLatestSnapshot();
    assertTrue(snapshot.getIndex() > 0, "snapshot at " + snapshot.getIndex());
    assertTrue(snap.out().contains("\"index\" : " + snapshot.getIndex()), snap.out());
  }

  @Test
  void helpEverywhereAndUnknownCommands() {
    for (String[] args :
        new String[][] {
          {"--help"},
          {"status", "--help"},
          {"shards", "--help"},
          {"shards", "set", "--help"},
          {"settings", "set", "--help"}
        }) {
      Run r = run(args);
      assertEquals(0, r.exit(), String.join(" ", args));
      assertTrue(r.out().contains("Usage: mcctl"), r.out());
    }
    Run unknown = run("frobnicate");
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().contains("frobnicate"), unknown.err());
  }
}
