package io.multiconnect.chaos.run;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.multiconnect.chaos.history.Event;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.lab.Lab;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.GetLocalRaftStatusRequest;
import io.multiconnect.proto.v1.MasterStatus;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Polls every 100 ms: each master's own Raft role and term (a {@code leader} event per leader and
 * term seen) and each webapp's routing table from its metrics (a {@code table} event per sample).
 */
final class Observer implements AutoCloseable {
  static final Duration PERIOD = Duration.ofMillis(100);
  private final Lab lab;
  private final Recorder history;
  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
  // Both the observer's thread and the nemesis (resolving "leader") call leader().
  private final Set<String> leadersSeen = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Thread thread = DaemonThreads.thread("observer", this::run);

  Observer(Lab lab, Recorder history) {
    this.lab = lab;
    this.history = history;
    for (String m : lab.masters) {
      channels.put(
          m,
          Endpoints.channel(
              lab.apiAddress(m), lab.adminTls(), PeerCheck.role(NodeIdentity.Role.MASTER)));
    }
  }

  void start() {
    thread.start();
  }

  private void run() {
    long end = System.nanoTime() + TimeUnit.HOURS.toNanos(2);
    while (!stopping.get() && System.nanoTime() < end) {
      sample();
      try {
        Thread.sleep(PERIOD.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One round: masters' roles, then webapps' tables. */
  void sample() {
    leader();
    for (String w : lab.webapps) {
      table(w).ifPresent(t -> history.record(Event.table(System.nanoTime(), w, t)));
    }
  }

  /** The leader as the masters themselves report it, if one answers as leader. */
  Optional<String> leader() {
    Optional<String> found = Optional.empty();
    for (Map.Entry<String, ManagedChannel> e : channels.entrySet()) {
      try {
        MasterStatus s =
            AdminGrpc.newBlockingStub(e.getValue())
                .withDeadline(io.grpc.Deadline.after(300, TimeUnit.MILLISECONDS))
                .getLocalRaftStatus(GetLocalRaftStatusRequest.getDefaultInstance());
        if (s.getRole().equals("leader")) {
          found = Optional.of(e.getKey());
          if (leadersSeen.add(e.getKey() + "@" + s.getTerm())) {
            history.record(Event.leader(System.nanoTime(), "observer", e.getKey(), s.getTerm()));
          }
        }
      } catch (StatusRuntimeException ignored) {
        // down, paused or cut off: nothing to observe
      }
    }
    return found;
  }

  Optional<String> table(String webapp) {
    return lab.routes(http, webapp);
  }

  @Override
  public void close() throws InterruptedException {
    stopping.set(true);
    thread.interrupt();
    thread.join(5_000);
    Endpoints.shutdown(new ArrayList<>(channels.values()));
  }
}
