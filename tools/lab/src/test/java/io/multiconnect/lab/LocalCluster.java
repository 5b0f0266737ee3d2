package io.multiconnect.lab;

import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.metrics.MetricsEndpoint;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.net.LoopbackPorts;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.media.MediaStore;
import io.multiconnect.dataplane.upstream.UpstreamSimulator;
import io.multiconnect.dataplane.webapp.WebappServer;
import io.multiconnect.master.MasterNode;
import io.multiconnect.master.MiniCluster;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.proto.v1.AdminGrpc;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole cluster on loopback for end-to-end tests: three masters ({@link MiniCluster}) and the
 * upstream simulator in this JVM, so a test reads their state directly; coreapps as child JVM
 * processes started by the lab's {@link Launcher} (so they can be killed with SIGKILL or stopped
 * with SIGTERM, by the handle this test holds); and a webapp serving real HTTP.
 */
final class LocalCluster implements AutoCloseable {
  static final String API_KEY = "test-api-key-0123";
  final MiniCluster masters;
  final UpstreamSimulator upstream;
  final Map<String, Process> coreapps = new LinkedHashMap<>();

  /** Where each coreapp serves its metrics (with {@link #API_KEY}). */
  final Map<String, Integer> coreappMetricsPorts = new LinkedHashMap<>();

  final WebappServer webapp;
  private final Path dir;
  private final Optional<MirrorSettings> mirror;

  LocalCluster(Path dir) throws IOException {
    this(dir, Optional.empty());
  }

  LocalCluster(Path dir, Optional<MirrorSettings> mirror) throws IOException {
    this.dir = dir;
    this.mirror = mirror;
    this.masters = MiniCluster.start(3, dir, MasterConfig.DEFAULT_SNAPSHOT_THRESHOLD, mirror);
    upstream = new UpstreamSimulator("127.0.0.1", 0, TestTls.PLAINTEXT).start();
    webapp =
        new WebappServer(
                "127.0.0.1",
                0,
                masterAddresses(),
                "webapp-test",
                ApiKey.of(API_KEY),
                Optional.empty(),
                NodeClock.system(),
                TestTls.PLAINTEXT,
                Optional.empty(),
                MediaStore.in(dir.resolve("media")))
            .start();
  }

  List<String> masterAddresses() {
    return masters.peers.stream().map(PeerAddress::apiAddress).toList();
  }

  /** The admin API of the current leader, as admin (a token signed with the cluster's key). */
  AdminGrpc.AdminBlockingStub admin() {
    return masters.admin(masters.awaitLeader(Duration.ofSeconds(15)));
  }

  MasterNode leader() {
    return masters.node(masters.awaitLeader(Duration.ofSeconds(15)));
  }

  ClusterState state() {
    return leader().state();
  }

  void startCoreapp(String id) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MC_COREAPP_ID", id);
    env.put("MC_COREAPP_ADDRESS", "127.0.0.1:" + LoopbackPorts.next());
    env.put("MC_MASTERS", String.join(",", masterAddresses()));
    env.put("MC_UPSTREAM", "127.0.0.1:" + upstream.port());
    env.put(NodeTls.MODE, "plaintext"); // as the in-process masters, webapp and upstream
    int metricsPort = LoopbackPorts.next();
    env.put(MetricsEndpoint.ENV, "127.0.0.1:" + metricsPort);
    env.put(ApiKey.ENV, API_KEY);
    coreappMetricsPorts.put(id, metricsPort);
    mirror.ifPresent(
        m -> {
          env.put("MC_MIRROR_JDBC_URL", m.jdbcUrl());
          env.put("MC_MIRROR_USER", m.user());
          env.put("MC_MIRROR_PASSWORD", m.password());
          env.put("MC_DB_HEARTBEAT_INTERVAL", "0.5");
        });
    List<String> command =
        Launcher.java(
            id,
            List.of("-Xmx256m"),
            System.getProperty("java.class.path"),
            dir,
            List.of("io.multiconnect.dataplane.coreapp.CoreappMain"));
    coreapps.put(id, Launcher.start(command, env, dir.resolve(id + ".log")));
  }

  /** SIGKILL, by the handle of a process this test started. */
  void kill9(String id) {
    Launcher.kill(coreapps.get(id));
  }

  /** {@code kill -SIGNAL} to the pid of a process this test started. */
  void signal(String id, String signal) throws IOException {
    Cmd.run("kill", "-" + signal, Long.toString(coreapps.get(id).pid()));
  }

  /** SIGTERM: the coreapp releases its shard before exiting. */
  void sigterm(String id) {
    Launcher.terminate(coreapps.get(id));
  }

  @Override
  public void close() throws InterruptedException {
    coreapps.values().forEach(Launcher::kill);
    webapp.close();
    masters.close();
    upstream.close();
  }
}
