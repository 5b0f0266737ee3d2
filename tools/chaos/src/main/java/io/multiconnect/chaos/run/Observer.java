package io.multiconnect.chaos.run;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.multiconnect.chaos.history.Event;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.GetLocalRaftStatusRequest;
import io.multiconnect.proto.v1.MasterStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Polls every 100 ms: each master's own Raft role and term (a {@code leader} event per leader and
 * term seen) and each webapp's routing table from its metrics (a {@code table} event per sample).
 */
final class Observer implements AutoCloseable {
  static final Duration PERIOD = Duration.ofMillis(100);
  private static final Pattern PRIMARY =
      Pattern.compile(
          "multiconnect_webapp_shard_primary\\{shard=\"(\\d+)\",coreapp=\"([^\"]+)\",epoch=\"\\d+\"}");

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
      channels.put(m, Endpoints.channel(lab.apiAddress(m)));
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
    return table(http, lab.webappUrl(webapp));
  }

  /** A webapp's routing table ({@code 0=c1,1=c2}) from its metrics, if it answers. */
  static Optional<String> table(HttpClient http, String webappUrl) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(webappUrl + "/metrics"))
                  .timeout(Duration.ofMillis(500))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Optional.empty();
      }
      Map<Integer, String> primaries = new TreeMap<>();
      Matcher m = PRIMARY.matcher(r.body());
      while (m.find()) {
        primaries.put(Integer.parseInt(m.group(1)), m.group(2));
      }
      List<String> parts = new ArrayList<>();
      primaries.forEach((s, c) -> parts.add(s + "=" + c));
      return Optional.of(String.join(",", parts));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopping.set(true);
    thread.interrupt();
    thread.join(5_000);
    Endpoints.shutdown(new ArrayList<>(channels.values()));
  }
}
