package io.multiconnect.dataplane.coreapp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.upstream.UpstreamSimulator;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.SessionEvent;
import io.multiconnect.proto.v1.upstream.SessionRef;
import io.multiconnect.proto.v1.upstream.UpstreamEvent;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fix for the late open the chaos campaign found (docs/reliability.md, seed 6086), on a real
 * kernel: the upstream simulator runs in a network namespace of its own, behind a veth pair whose
 * packets from this JVM an {@code nft} rule drops, so requests wait in this side's TCP send queue
 * as they do under packet loss. A window's open written into a cut link, with its call abandoned at
 * a deadline and its window ended, must never reach the upstream once the link heals; an open
 * written at the same moment on a connection that is not reset does reach it, which shows the
 * retransmissions had every chance to deliver the first. Needs root, {@code ip} and {@code nft}
 * (what {@code .ci/run} installs).
 */
@Tag("slow")
class UpstreamLinkTest {
  private static final int SUBNET = 20 + (int) (ProcessHandle.current().pid() % 200);
  private static final String NS = "mcul-" + ProcessHandle.current().pid();
  private static final String VETH = "mcul" + ProcessHandle.current().pid() % 100_000;
  private static final String HERE = "10.79." + SUBNET + ".1";
  private static final String THERE = "10.79." + SUBNET + ".2";
  private static final String UPSTREAM = THERE + ":9800";

  private static Process simulator;
  private static ManagedChannel reports;

  @BeforeAll
  static void upstreamBehindACuttableLink() throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name"))
            && quietly("ip", "-V")
            && quietly("nft", "--version"),
        "needs root, ip and nft");
    run("ip", "netns", "add", NS);
    run("ip", "link", "add", VETH, "type", "veth", "peer", "name", "eth0", "netns", NS);
    run("ip", "addr", "add", HERE + "/30", "dev", VETH);
    run("ip", "link", "set", VETH, "up");
    run("ip", "-n", NS, "addr", "add", THERE + "/30", "dev", "eth0");
    run("ip", "-n", NS, "link", "set", "eth0", "up");
    run("ip", "-n", NS, "link", "set", "lo", "up");
    // Nothing leaves the machine: the namespace has no route but its /30, and the way there from
    // here is the veth made above.
    assertTrue(!quietly("ip", "-n", NS, "route", "get", "1.1.1.1"), "namespace has no way out");
    assertTrue(output("ip", "route", "get", THERE).contains("dev " + VETH), "route to " + THERE);
    nft("table inet cut { chain input { type filter hook input priority 0; policy accept; }; }");
    ProcessBuilder pb =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                NS,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                UpstreamSimulator.class.getName(),
                "--host",
                THERE,
                "--port",
                "9800")
            .redirectErrorStream(true)
            .redirectOutput(Files.createTempFile("upstream-", ".log").toFile());
    pb.environment().put(NodeTls.MODE, "plaintext");
    simulator = pb.start();
    reports = Endpoints.channel(UPSTREAM, TestTls.PLAINTEXT, PeerCheck.anyNode());
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> report() != null);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (reports != null) {
      Endpoints.shutdown(List.of(reports));
    }
    if (simulator != null) {
      simulator.destroy();
      if (!simulator.waitFor(10, TimeUnit.SECONDS)) {
        simulator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    quietly("ip", "netns", "del", NS); // takes the veth pair with it
  }

  @Test
  void nothingWrittenToAnEndedWindowReachesTheUpstreamAfterTheLinkHeals() throws Exception {
    try (UpstreamLink link = new UpstreamLink(UPSTREAM, TestTls.PLAINTEXT)) {
      UpstreamLink.Window ended = link.window();
      UpstreamLink.Window kept = link.window();
      connect(ended.channel());
      connect(kept.channel());

      nft("add rule inet cut input ip saddr " + HERE + " drop");
      try {
        // The coreapp's open, with its call deadline capped at the acting deadline, as in the
        // campaign's seed 6086; and one that nobody abandons, on a connection left as it is.
        open(ended.channel(), "late", 1, Duration.ofMillis(300));
        open(kept.channel(), "control", 0, Duration.ofSeconds(20));
        // Both opens wait in this side's send queue, unacknowledged.
        await("both opens wait unacknowledged")
            .atMost(Duration.ofSeconds(10))
            .until(() -> unacknowledged() >= 2);
        ended.end(); // the acting deadline: the coreapp stops acting on that session
      } finally {
        run("ip", "netns", "exec", NS, "nft", "flush", "chain", "inet", "cut", "input");
      }

      // TCP retransmits after 0.2, 0.6, 1.4, 3.0 s: the control's open arrives at the latest about
      // two seconds after the link healed; the ended window's would arrive with it.
      await("the open on the connection left as it was arrives")
          .atMost(Duration.ofSeconds(15))
          .until(() -> !opensBy("control").isEmpty());
      await("the open on the ended window never arrives")
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(3))
          .until(() -> opensBy("late").isEmpty());
      assertEquals(0, report().getBans());

      // The link works again: a new window of the same coreapp opens at once.
      UpstreamLink.Window next = link.window();
      open(next.channel(), "late", 1, Duration.ofSeconds(5));
      await().atMost(Duration.ofSeconds(10)).until(() -> opensBy("late").size() == 1);
      next.end();
      kept.end();
    }
  }

  private static void connect(Channel channel) {
    // A close of a session that does not exist: nothing to close, but over a connection made.
    UpstreamGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .closeSession(SessionRef.newBuilder().setSessionId("none").build());
  }

  private static void open(Channel channel, String coreapp, int shard, Duration deadline) {
    UpstreamGrpc.newStub(channel)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .openSession(
            OpenSessionRequest.newBuilder()
                .setCoreappId(coreapp)
                .setIncarnation("test")
                .setShard(shard)
                .setShardCount(2)
                .setEpoch(1)
                .build(),
            new StreamObserver<SessionEvent>() {
              @Override
              public void onNext(SessionEvent e) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
  }

  private static List<UpstreamEvent> opensBy(String coreapp) {
    return report().getEventsList().stream()
        .filter(e -> e.getKind().equals("session_opened") && e.getCoreappId().equals(coreapp))
        .toList();
  }

  private static Report report() {
    return UpstreamGrpc.newBlockingStub(reports)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getReport(ReportRequest.getDefaultInstance());
  }

  private static void nft(String rules) throws IOException, InterruptedException {
    List<String> command = List.of("ip", "netns", "exec", NS, "nft", "-f", "-");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().write(rules.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, command + ": " + out);
  }

  /** How many of this JVM's connections to the upstream hold bytes it has not acknowledged. */
  private static long unacknowledged() throws IOException, InterruptedException {
    String table = output("ss", "-tnH", "state", "established", "dst", UPSTREAM);
    return table
        .lines()
        .map(l -> l.trim().split("\\s+"))
        .filter(f -> f.length > 1 && Long.parseLong(f[1]) > 0)
        .count();
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(
        p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, List.of(command) + ": " + out);
  }

  private static String output(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  private static boolean quietly(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
