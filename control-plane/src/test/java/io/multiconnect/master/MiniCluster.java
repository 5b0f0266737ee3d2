package io.multiconnect.master;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.net.LoopbackPorts;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import io.multiconnect.master.config.RaftTiming;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.ClusterVersion;
import io.multiconnect.proto.v1.AdminGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/** In-process masters on real loopback sockets, each with its own data directory. */
public final class MiniCluster implements AutoCloseable {
  public final List<PeerAddress> peers = new ArrayList<>();
  private final MasterNode[] nodes;
  private final Path baseDir;
  private final List<ManagedChannel> channels = new ArrayList<>();

  /** The mirror every master publishes to, if the test uses one. */
  Optional<MirrorSettings> mirror = Optional.empty();

  private MiniCluster(int size, Path baseDir) {
    this.baseDir = baseDir;
    this.nodes = new MasterNode[size];
    for (int i = 0; i < size; i++) {
      peers.add(new PeerAddress("m" + i, "127.0.0.1", LoopbackPorts.next(), LoopbackPorts.next()));
    }
  }

  public static MiniCluster start(int size, Path baseDir, long snapshotThreshold)
      throws IOException {
    return start(size, baseDir, snapshotThreshold, Optional.empty());
  }

  public static MiniCluster start(
      int size, Path baseDir, long snapshotThreshold, Optional<MirrorSettings> mirror)
      throws IOException {
    MiniCluster c = new MiniCluster(size, baseDir);
    c.mirror = mirror;
    for (int i = 0; i < size; i++) {
      c.restart(i, snapshotThreshold);
    }
    return c;
  }

  MasterConfig config(int i, long snapshotThreshold) {
    return new MasterConfig(
        "m" + i,
        peers,
        baseDir.resolve("m" + i),
        MasterConfig.DEFAULT_GROUP_ID,
        snapshotThreshold,
        MasterConfig.MIN_LOG_SEGMENT_BYTES,
        mirror,
        1,
        false,
        MasterConfig.DEFAULT_DEREGISTER_AFTER,
        Optional.empty(),
        RaftTiming.DEFAULT,
        "");
  }

  public MasterNode node(int i) {
    return Objects.requireNonNull(nodes[i], "m" + i + " is down");
  }

  boolean isUp(int i) {
    return nodes[i] != null;
  }

  void restart(int i, long snapshotThreshold) throws IOException {
    restart(i, snapshotThreshold, ClusterVersion.SUPPORTED);
  }

  /**
   * Starts master {@code i} as a release that supports cluster versions up to {@code
   * supportedVersion}.
   */
  public void restart(int i, long snapshotThreshold, int supportedVersion) throws IOException {
    nodes[i] =
        new MasterNode(
                config(i, snapshotThreshold),
                NodeClock.system(),
                TestTls.PLAINTEXT,
                supportedVersion)
            .start();
  }

  /**
   * The configuration of a master {@code id} that starts outside the group (join mode), to be added
   * to it; {@code peers} lists the group's members and itself.
   */
  public static MasterConfig joining(String id, List<PeerAddress> peers, Path dataDir) {
    return new MasterConfig(
        id,
        List.copyOf(peers),
        dataDir,
        MasterConfig.DEFAULT_GROUP_ID,
        10_000,
        MasterConfig.MIN_LOG_SEGMENT_BYTES,
        Optional.empty(),
        1,
        true,
        MasterConfig.DEFAULT_DEREGISTER_AFTER,
        Optional.empty(),
        RaftTiming.DEFAULT,
        "");
  }

  /**
   * Deletes the snapshots in a master's data directory, as if its last snapshot were older than its
   * log: on its next start it replays the log.
   */
  public static void deleteSnapshots(Path masterDir) throws IOException {
    try (Stream<Path> files = Files.walk(masterDir)) {
      for (Path f :
          files.filter(f -> f.getFileName().toString().startsWith("snapshot.")).toList()) {
        Files.delete(f);
      }
    }
  }

  /** Stops master {@code i} (gracefully: its Raft server closes). */
  public void kill(int i) {
    nodes[i].close();
    nodes[i] = null;
  }

  public Optional<Integer> leaderIndex() {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null && nodes[i].isLeading()) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  public int awaitLeader(Duration within) {
    return await()
        .atMost(Timing.scaled(within))
        .pollInterval(Duration.ofMillis(20))
        .until(this::leaderIndex, Optional::isPresent)
        .get();
  }

  int anyFollower() {
    int leader = leaderIndex().orElseThrow();
    for (int i = 0; i < nodes.length; i++) {
      if (i != leader && nodes[i] != null) {
        return i;
      }
    }
    throw new IllegalStateException("no follower up");
  }

  ManagedChannel channel(int i) {
    ManagedChannel ch =
        Endpoints.channel(peers.get(i).apiAddress(), TestTls.PLAINTEXT, PeerCheck.anyNode());
    channels.add(ch);
    return ch;
  }

  /**
   * An Admin stub for master {@code i} that authenticates as admin with a token signed by the
   * cluster's key (read from a master's state: tests skip the first-login password change).
   */
  public AdminGrpc.AdminBlockingStub admin(int i) {
    return AdminGrpc.newBlockingStub(channel(i))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(adminHeaders()));
  }

  /** {@code authorization: Bearer <token>} for the admin user. */
  public Metadata adminHeaders() {
    return adminHeaders(adminToken());
  }

  /** {@code authorization: Bearer <token>}. */
  public static Metadata adminHeaders(String token) {
    Metadata headers = new Metadata();
    headers.put(GrpcWire.AUTHORIZATION, "Bearer " + token);
    return headers;
  }

  /** A token for the admin user valid for an hour, once the cluster has created its signing key. */
  public String adminToken() {
    ClusterState state =
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(15)))
            .until(
                () ->
                    upNodes().stream()
                        .map(MasterNode::state)
                        .filter(s -> Tokens.isSigningKey(s.tokenKey()))
                        .findFirst(),
                Optional::isPresent)
            .get();
    return Tokens.issue(
        state.tokenKey(),
        ClusterState.DEFAULT_ADMIN,
        state.users().get(ClusterState.DEFAULT_ADMIN).credentialsIndex(),
        Instant.now(),
        Duration.ofHours(1));
  }

  public List<MasterNode> upNodes() {
    return Arrays.stream(nodes).filter(Objects::nonNull).toList();
  }

  @Override
  public void close() throws InterruptedException {
    Endpoints.shutdown(channels);
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null) {
        kill(i);
      }
    }
  }
}
