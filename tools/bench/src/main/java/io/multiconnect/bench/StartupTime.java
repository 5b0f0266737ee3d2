package io.multiconnect.bench;

import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.proto.v1.CoreappStatus;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Start-up of each role in a running cluster: a follower master, a spare coreapp and the webapp,
 * each stopped gracefully and started again; the time from the launch of its process to ready. A
 * master is ready when a status asked on its own API port names the leader (it answers, and has
 * heard the group), a coreapp when the leader counts it healthy, a webapp when it routes every
 * shard.
 */
final class StartupTime {
  private StartupTime() {}

  static List<Figure> run(Rig rig, int trials) throws IOException {
    String master = rig.lab.masters.stream().filter(m -> !isLeader(rig, m)).findFirst().get();
    String spare = Rig.spare(rig.status()).orElseThrow(() -> new IllegalStateException("no spare"));
    String webapp = rig.lab.webapps.get(0);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    List<Figure> figures = new ArrayList<>();
    // A client per try: one channel would wait out gRPC's reconnect backoff after the refusals
    // of a master still starting, and count that as start-up.
    figures.add(
        measure(
            rig,
            "start-up: master (follower)",
            master,
            trials,
            () -> {
              try (AdminClient own =
                  new AdminClient(
                      List.of(rig.lab.apiAddress(master)),
                      rig.lab.adminTls(),
                      Duration.ofMillis(500),
                      1,
                      Duration.ofMillis(50))) {
                return !own.status().getLeader().getLeaderId().isEmpty();
              }
            }));
    // A coreapp is ready when the leader counts a new process of it healthy (the stopped one's
    // status stays healthy a while: a release keeps it registered).
    AtomicReference<String> stopped = new AtomicReference<>();
    figures.add(
        measure(
            rig,
            "start-up: coreapp (spare)",
            spare,
            trials,
            () -> {
              return rig.status().getCoreappsList().stream()
                  .anyMatch(
                      c ->
                          c.getId().equals(spare)
                              && c.getHealthy()
                              && !c.getIncarnation().equals(stopped.get()));
            },
            () -> stopped.set(incarnation(rig, spare))));
    figures.add(
        measure(
            rig,
            "start-up: webapp",
            webapp,
            trials,
            () -> rig.lab.routes(http, webapp).filter(t -> !t.isEmpty()).isPresent()));
    return figures;
  }

  private static Figure measure(
      Rig rig, String name, String node, int trials, BooleanSupplier ready) throws IOException {
    return measure(rig, name, node, trials, ready, () -> {});
  }

  /** {@code trials} restarts of {@code node}; {@code beforeStop} runs before each stop. */
  private static Figure measure(
      Rig rig, String name, String node, int trials, BooleanSupplier ready, Runnable beforeStop)
      throws IOException {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < trials; i++) {
      beforeStop.run();
      rig.lab.stop(node);
      rig.awaitSteady(Duration.ofSeconds(60), s -> true);
      long start = System.nanoTime();
      rig.lab.start(node);
      long deadline = start + Duration.ofSeconds(60).toNanos();
      while (!safely(ready)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(node + " was not ready 60 s after its launch");
        }
        Rig.pause(10);
      }
      ms.add((System.nanoTime() - start) / 1e6);
      rig.awaitSteady(Duration.ofSeconds(60), s -> true);
    }
    return new Figure(name, "ms", Distribution.of(ms), "(measured)", true, Map.of());
  }

  private static boolean safely(BooleanSupplier ready) {
    try {
      return ready.getAsBoolean();
    } catch (AdminException | IllegalStateException e) {
      return false;
    }
  }

  private static boolean isLeader(Rig rig, String master) {
    return rig.status().getLeader().getLeaderId().equals(master);
  }

  private static String incarnation(Rig rig, String coreapp) {
    return rig.status().getCoreappsList().stream()
        .filter(c -> c.getId().equals(coreapp))
        .map(CoreappStatus::getIncarnation)
        .findFirst()
        .orElse("");
  }
}
