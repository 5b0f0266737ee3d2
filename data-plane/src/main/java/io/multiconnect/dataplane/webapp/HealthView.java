package io.multiconnect.dataplane.webapp;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.dataplane.ShardMapWatcher;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.CoreappStatusRequest;
import io.multiconnect.proto.v1.CoreappStatusResponse;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.ShardAssignment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /v1/health} in the On-Premises API's high-availability form: one entry per node
 * ({@code "host:id"}) with its {@code gateway_status} and {@code role} (primary_master,
 * secondary_master, coreapp). Every node is asked directly with a short deadline, so the answer
 * comes quickly and still shows the coreapps when no master answers (from the last routing table).
 */
final class HealthView {
  static final long PROBE_DEADLINE_MS = 500;

  private final List<String> masters;
  private final ShardMapWatcher watcher;
  private final NodeTls tls;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  HealthView(List<String> masters, ShardMapWatcher watcher, NodeTls tls) {
    this.masters = List.copyOf(masters);
    this.watcher = watcher;
    this.tls = tls;
    // Connect now: a first probe that had to set up its connection within PROBE_DEADLINE_MS could
    // report a live master as disconnected on a loaded machine (seen once in EndToEndTest).
    this.masters.forEach(m -> channel(m).getState(true));
  }

  private ManagedChannel channel(String address) {
    return channels.computeIfAbsent(
        address,
        a ->
            Endpoints.channel(
                a, tls, PeerCheck.role(NodeIdentity.Role.MASTER, NodeIdentity.Role.COREAPP)));
  }

  Map<String, Object> body() {
    Map<String, Object> nodes = new LinkedHashMap<>();
    Optional<ClusterStatus> any = Optional.empty();
    for (String address : masters) {
      Optional<ClusterStatus> s = masterStatus(address);
      String key =
          Endpoints.host(address) + ":" + s.map(ClusterStatus::getAnsweredBy).orElse(address);
      if (s.isPresent()) {
        any = any.isPresent() ? any : s;
        boolean leader = s.get().getLeader().getLeaderId().equals(s.get().getAnsweredBy());
        nodes.put(
            key,
            Map.of(
                "gateway_status",
                "connected",
                "role",
                leader ? "primary_master" : "secondary_master"));
      } else {
        nodes.put(key, Map.of("gateway_status", "disconnected", "role", "master"));
      }
    }
    Map<String, String> coreapps = new LinkedHashMap<>();
    any.ifPresent(s -> s.getCoreappsList().forEach(c -> coreapps.put(c.getId(), c.getAddress())));
    for (ShardAssignment a : watcher.table().primaries().values()) {
      coreapps.putIfAbsent(a.getCoreappId(), a.getCoreappAddress());
    }
    coreapps.forEach(
        (id, address) -> nodes.put(Endpoints.host(address) + ":" + id, coreappEntry(address)));
    boolean leaderKnown =
        nodes.values().stream().anyMatch(v -> ((Map<?, ?>) v).get("role").equals("primary_master"));
    Map<String, Object> meta = new LinkedHashMap<>(WebappServer.meta());
    meta.put("control_plane", leaderKnown ? "up" : "down");
    return Map.of("health", nodes, "meta", meta);
  }

  private Optional<ClusterStatus> masterStatus(String address) {
    try {
      return Optional.of(
          AdminGrpc.newBlockingStub(channel(address))
              .withDeadline(Deadline.after(PROBE_DEADLINE_MS, TimeUnit.MILLISECONDS))
              .getStatus(GetStatusRequest.newBuilder().setLocalOnly(true).build()));
    } catch (StatusRuntimeException e) {
      return Optional.empty();
    }
  }

  private Map<String, Object> coreappEntry(String address) {
    Map<String, Object> entry = new LinkedHashMap<>();
    try {
      CoreappStatusResponse r =
          CoreappGrpc.newBlockingStub(channel(address))
              .withDeadline(Deadline.after(PROBE_DEADLINE_MS, TimeUnit.MILLISECONDS))
              .getStatus(CoreappStatusRequest.getDefaultInstance());
      entry.put("gateway_status", r.getGatewayStatus());
      entry.put("role", "coreapp");
      if (r.getRole().equals("primary")) {
        entry.put("shard", r.getShard());
        entry.put("epoch", r.getEpoch());
      }
    } catch (StatusRuntimeException e) {
      entry.put("gateway_status", "disconnected");
      entry.put("role", "coreapp");
    }
    return entry;
  }

  void close() {
    Endpoints.shutdown(new ArrayList<>(channels.values()));
  }
}
