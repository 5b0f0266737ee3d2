package io.multiconnect.mcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.master.MiniCluster;
import io.multiconnect.master.config.PeerAddress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.ratis.shell.cli.sh.RatisShell;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Apache Ratis's own shell, pointed at the masters' Raft ports, agrees with mcctl on the leader.
 */
@Timeout(120)
@Tag("slow")
class RatisShellTest {

  @Test
  void groupInfoNamesTheLeaderMcctlStatusNames(@TempDir Path dir) throws Exception {
    try (MiniCluster cluster = MiniCluster.start(3, dir, 10_000)) {
      cluster.awaitLeader(Duration.ofSeconds(15));
      String raftPeers =
          cluster.peers.stream().map(PeerAddress::raftAddress).collect(Collectors.joining(","));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int exit;
      try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
        exit = new RatisShell(out).run("group", "info", "-peers", raftPeers);
      }
      String shell = bytes.toString(StandardCharsets.UTF_8);
      assertEquals(0, exit, shell);
      Matcher m = Pattern.compile("leader info: (\\w+)\\(").matcher(shell);
      assertTrue(m.find(), shell);

      String apis =
          cluster.peers.stream().map(PeerAddress::apiAddress).collect(Collectors.joining(","));
      McctlRun status = McctlRun.of("--masters", apis, "status");
      assertEquals(0, status.exit(), status.err());
      assertTrue(
          status.out().startsWith("leader " + m.group(1) + " "),
          "ratis-shell: " + m.group(1) + "\n" + status.out());
    }
  }
}
