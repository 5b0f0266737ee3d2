package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.ca.CaFiles;
import io.multiconnect.ca.ClusterCa;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.proto.v1.ClusterSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CA rotation on a running cluster of processes, as docs/security.md gives it: every node trusts
 * a bundle of the old and the new CA, then each node gets a certificate of the new CA, one at a
 * time, then every node trusts the new CA alone. Messages keep being accepted all along, and no
 * node restarts.
 */
@Tag("slow")
class RotationTest {
  private static final String MESSAGE =
      "{\"to\":\"15551234567\",\"type\":\"text\",\"text\":{\"body\":\"rotating\"}}";
  private static final Duration REFRESH = Duration.ofMillis(300);

  @TempDir Path dir;

  @Test
  void aCaRotationNeedsNoRestartAndLosesNoMessage() throws Exception {
    try (Lab lab =
        SmallTlsLab.create(
            dir.resolve("lab"),
            3,
            Map.of(NodeTls.REFRESH_ENV, Long.toString(REFRESH.toMillis())))) {
      lab.start();
      Lab.Ready ready = lab.ready(200, 2_000, "rotate-Passw0rd", Duration.ofSeconds(120));
      Http http = new Http(URI.create(lab.webappUrl("w1")).getPort());
      http.authorization = ready.authorization();
      List<Long> pids = new ArrayList<>();
      for (String node : lab.all()) {
        pids.add(lab.process(node).orElseThrow().pid());
      }

      // Messages all along: every one accepted.
      AtomicInteger sent = new AtomicInteger();
      AtomicReference<String> failure = new AtomicReference<>();
      Thread sender =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted() && failure.get() == null) {
                  try {
                    Http.Response r = http.call("POST", "/v1/messages", MESSAGE);
                    if (r.status() != 201) {
                      failure.set("message " + sent.get() + ": " + r);
                    }
                    sent.incrementAndGet();
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  } catch (Exception e) {
                    failure.set("message " + sent.get() + ": " + e);
                  }
                }
              },
              "rotation-sender");
      sender.start();

      ClusterCa old = new CaFiles(lab.trustFile().getParent()).readCa();
      ClusterCa next = ClusterCa.create("next", Instant.now(), Duration.ofDays(3650));
      List<String> nodes = new ArrayList<>(lab.all());
      nodes.remove(Lab.DATABASE);
      // The cluster serves before the database has read its files (the mirror is written behind):
      // a bundle written earlier would be the database's first files, not a change to reload.
      awaitLog(lab, Lab.DATABASE, "embedded MariaDB ready", 1);
      // 1. Every node trusts both CAs.
      new CaFiles(lab.trustFile().getParent())
          .write(lab.trustFile(), CaFiles.pem(List.of(old.certificate(), next.certificate())));
      for (String node : nodes) {
        awaitLog(lab, node, "TLS: trusting 2 CA certificate(s)", 1);
      }
      awaitLog(lab, Lab.DATABASE, "TLS: reloaded", 1);
      // 2. One node at a time takes a certificate of the new CA, then the harness.
      for (String node : nodes) {
        lab.reissue(node, next);
        awaitLog(lab, node, "TLS: using", 2);
        awaitMoreSent(sent);
        assertEquals(null, failure.get(), "after " + node + " took its new certificate");
      }
      lab.reissue(Lab.DATABASE, next);
      awaitLog(lab, Lab.DATABASE, "TLS: reloaded", 2);
      lab.reissue("client-admin-harness", next);
      // 3. Every node trusts the new CA alone.
      new CaFiles(lab.trustFile().getParent())
          .write(lab.trustFile(), CaFiles.pem(List.of(next.certificate())));
      for (String node : nodes) {
        awaitLog(lab, node, "TLS: trusting 1 CA certificate(s)", 2);
      }
      awaitLog(lab, Lab.DATABASE, "TLS: reloaded", 3);
      awaitMoreSent(sent);
      try (AdminClient admin = lab.anonymousAdmin()) {
        // The harness serves as a client of the new CA once it read its new files.
        await()
            .atMost(Duration.ofSeconds(10))
            .ignoreExceptions()
            .until(() -> admin.status() != null);
      }
      // Raft between the masters on the new certificates: a leadership transfer, then a write
      // that every master applies.
      try (AdminClient anonymous = lab.anonymousAdmin()) {
        AdminClient admin = anonymous.withAuthorization(ready.authorization());
        String leader = admin.status().getLeader().getLeaderId();
        String successor =
            lab.masters.stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
        admin.transferLeadership(successor);
        await()
            .atMost(Duration.ofSeconds(15))
            .ignoreExceptions()
            .until(() -> admin.status().getLeader().getLeaderId().equals(successor));
        ClusterSettings settings = admin.settings();
        admin.updateSettings(
            settings.getHeartbeatIntervalMs(), settings.getUnhealthyIntervalMs() + 1);
        long written = admin.status().getAppliedIndex();
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () -> admin.listMasters().stream().allMatch(m -> m.getAppliedIndex() >= written));
      }
      // The mirror database on its new certificate, checked against the new CA alone, holds what
      // the masters wrote.
      MirrorSettings mirror = lab.mirror();
      await()
          .atMost(Duration.ofSeconds(15))
          .ignoreExceptions()
          .until(
              () -> {
                try (Connection c =
                        DriverManager.getConnection(
                            mirror.jdbcUrl(), mirror.user(), mirror.password());
                    ResultSet r =
                        c.createStatement().executeQuery("SELECT raft_index FROM cluster_state")) {
                  return r.next() && r.getLong(1) > 0;
                }
              });
      sender.interrupt();
      sender.join(20_000);
      assertEquals(null, failure.get());
      assertTrue(sent.get() > 50, sent.get() + " messages");

      try (AdminClient admin = lab.anonymousAdmin()) {
        assertEquals(2, lab.awaitServing(admin, Duration.ofSeconds(30)).getCoreappsCount());
      }
      List<Long> after = new ArrayList<>();
      for (String node : lab.all()) {
        after.add(lab.process(node).orElseThrow().pid());
      }
      assertEquals(pids, after, "no node restarted");

      // A certificate of the old CA is now refused.
      NodeIdentity stale = new NodeIdentity(Role.ADMIN, "stale");
      CaFiles staleFiles = new CaFiles(dir.resolve("stale"));
      staleFiles.writeNode(
          stale, old.issue(stale, List.of("localhost"), Instant.now(), Duration.ofDays(1)));
      try (NodeTls tls =
              NodeTls.of(
                  new NodeTls.Files(
                      staleFiles.certificate(stale), staleFiles.key(stale), lab.trustFile()),
                  NodeTls.REFRESH);
          AdminClient staleAdmin =
              new AdminClient(lab.masterApis(), tls, Duration.ofSeconds(2), 1, Duration.ZERO)) {
        assertThrows(AdminException.class, staleAdmin::status);
      }
    }
  }

  /** Until {@code node}'s log holds {@code text} at least {@code times} times. */
  private static void awaitLog(Lab lab, String node, String text, int times) throws IOException {
    Path log = lab.logs().resolve(node + ".log");
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.readString(log).split(Pattern.quote(text), -1).length - 1 >= times);
    } catch (ConditionTimeoutException e) {
      String all = Files.readString(log);
      throw new AssertionError(
          node
              + ".log has '"
              + text
              + "' fewer than "
              + times
              + " times; its end:\n"
              + all.substring(Math.max(0, all.length() - 3000)),
          e);
    }
  }

  /** Until a few more messages were accepted. */
  private static void awaitMoreSent(AtomicInteger sent) {
    int before = sent.get();
    await().atMost(Duration.ofSeconds(15)).until(() -> sent.get() > before + 3);
  }
}
