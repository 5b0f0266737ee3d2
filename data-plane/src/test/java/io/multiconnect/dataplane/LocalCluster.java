package io.multiconnect.dataplane;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.stub.MetadataUtils;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.net.LoopbackPorts;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A whole cluster on loopback for end-to-end tests: three masters and the upstream simulator in
 * this JVM, coreapps as child JVM processes (so they can be killed with SIGKILL or stopped with
 * SIGTERM, by the handle this test holds), and a webapp serving real HTTP.
 */
final class LocalCluster implements AutoCloseable {
  static final String API_KEY = "test-api-key-0123";
  final List<PeerAddress> peers = new ArrayList<>();
  final List<MasterNode> masters = new ArrayList<>();
  final UpstreamSimulator upstream;
  final Map<String, Process> coreapps = new LinkedHashMap<>();
  final WebappServer webapp;
  private final Path dir;
  private final Optional<MirrorSettings> mirror;
  private final List<ManagedChannel> adminChannels = new ArrayList<>();

  LocalCluster(Path dir) throws IOException {
    this(dir, Optional.empty());
  }

  LocalCluster(Path dir, Optional<MirrorSettings> mirror) throws IOException {
    this.dir = dir;
    this.mirror = mirror;
    for (int i = 0; i < 3; i++) {
      peers.add(new PeerAddress("m" + i, "127.0.0.1", LoopbackPorts.next(), LoopbackPorts.next()));
    }
    for (int i = 0; i < 3; i++) {
      masters.add(
          new MasterNode(
                  new MasterConfig(
                      "m" + i,
                      peers,
                      dir.resolve("m" + i),
                      MasterConfig.DEFAULT_GROUP_ID,
                      MasterConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                      MasterConfig.DEFAULT_LOG_SEGMENT_BYTES,
                      mirror,
                      1,
                      false))
              .start());
    }
    upstream = new UpstreamSimulator("127.0.0.1", 0).start();
    webapp =
        new WebappServer(
                "127.0.0.1",
                0,
                masterAddresses(),
                "webapp-test",
                Optional.of(API_KEY),
                Optional.empty(),
                NodeClock.system())
            .start();
    masterAddresses().forEach(a -> adminChannels.add(Endpoints.channel(a)));
  }

  List<String> masterAddresses() {
    return peers.stream().map(PeerAddress::apiAddress).toList();
  }

  /** The admin API of the current leader, as admin (a token signed with the cluster's key). */
  AdminGrpc.AdminBlockingStub admin() {
    MasterNode leader = leader();
    String key =
        await()
            .atMost(Duration.ofSeconds(15))
            .until(() -> leader.state().tokenKey(), k -> !k.isEmpty());
    return AdminGrpc.newBlockingStub(adminChannels.get(masters.indexOf(leader)))
        .withInterceptors(
            MetadataUtils.newAttachHeadersInterceptor(
                MiniCluster.adminHeaders(MiniCluster.adminToken(key))));
  }

  MasterNode leader() {
    return await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> masters.stream().filter(MasterNode::isLeading).findFirst().orElse(null),
            m -> m != null);
  }

  ClusterState state() {
    return leader().state();
  }

  void startCoreapp(String id) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            "io.multiconnect.dataplane.coreapp.CoreappMain");
    pb.environment().put("MC_COREAPP_ID", id);
    pb.environment().put("MC_COREAPP_ADDRESS", "127.0.0.1:" + LoopbackPorts.next());
    pb.environment().put("MC_MASTERS", String.join(",", masterAddresses()));
    pb.environment().put("MC_UPSTREAM", "127.0.0.1:" + upstream.port());
    mirror.ifPresent(
        m -> {
          pb.environment().put("MC_MIRROR_JDBC_URL", m.jdbcUrl());
          pb.environment().put("MC_MIRROR_USER", m.user());
          pb.environment().put("MC_MIRROR_PASSWORD", m.password());
          pb.environment().put("MC_DB_HEARTBEAT_INTERVAL", "0.5");
        });
    pb.redirectErrorStream(true).redirectOutput(dir.resolve(id + ".log").toFile());
    coreapps.put(id, pb.start());
  }

  /** SIGKILL, by the handle of a process this test started. */
  void kill9(String id) throws InterruptedException {
    coreapps.get(id).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** {@code kill -SIGNAL} to the pid of a process this test started. */
  void signal(String id, String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(coreapps.get(id).pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + id + " failed");
    }
  }

  /** SIGTERM: the coreapp releases its shard before exiting. */
  void sigterm(String id) {
    coreapps.get(id).destroy();
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : coreapps.values()) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    webapp.close();
    Endpoints.shutdown(adminChannels);
    for (MasterNode m : masters) {
      m.close();
    }
    upstream.close();
  }
}
