package io.multiconnect.chaos.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.UpstreamEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's pure parts: schedules from seeds, and turning node records into history. */
class RunnerPartsTest {
  private static final Schedule.Topology TOPOLOGY =
      new Schedule.Topology(
          List.of("m1", "m2", "m3"), List.of("c1", "c2", "c3", "c4"), List.of("w1", "w2"));

  @Test
  void aSeedAlwaysGivesTheSameScheduleWithinItsBounds() {
    for (long seed = 1; seed <= 50; seed++) {
      Schedule a = Schedule.generate(seed, Schedule.Scenario.MIXED, 120_000, TOPOLOGY);
      assertEquals(a, Schedule.generate(seed, Schedule.Scenario.MIXED, 120_000, TOPOLOGY));
      long faultsEnd = 0;
      for (Fault f : a.entries()) {
        assertTrue(f.lengthMs() <= Schedule.maxLengthMs(f.kind()), f.describe());
        assertTrue(f.endMs() <= a.durationMs(), f.describe());
        if (f.kind() == Fault.Kind.CLOCK) {
          assertTrue(Math.abs(f.clockRate()) <= 0.08, "within the safety bound: " + f.describe());
        }
        if (f.kind().fault) {
          assertTrue(f.atMs() >= faultsEnd, "faults run one at a time: " + f.describe());
          faultsEnd = f.endMs() + (f.kind() == Fault.Kind.TWIN ? Schedule.TWIN_EXIT_MS : 0);
          assertTrue(faultsEnd <= a.durationMs(), "ends before the heal: " + f.describe());
        }
      }
      assertTrue(a.entries().stream().anyMatch(f -> f.kind().fault), "seed " + seed);
    }
    assertFalse(
        Schedule.generate(1, Schedule.Scenario.MIXED, 120_000, TOPOLOGY)
            .equals(Schedule.generate(2, Schedule.Scenario.MIXED, 120_000, TOPOLOGY)));
  }

  @Test
  void theProcessesScenarioDrawsEveryProcessFaultAndBothEndsOfATwin() {
    Set<String> seen = new TreeSet<>();
    for (long seed = 1; seed <= 20; seed++) {
      for (Fault f :
          Schedule.generate(seed, Schedule.Scenario.PROCESSES, 120_000, TOPOLOGY).entries()) {
        seen.add(variant(f));
      }
    }
    assertEquals(
        Set.of("SETTINGS_CHURN", "RESTART_SLOW_COMMIT", "STUTTER", "TWIN/0", "TWIN/1"), seen);
    // The CI smoke run of this scenario (ChaosSmokeTest) starts the twin of a twin.
    assertEquals(
        Set.of("STUTTER", "TWIN/1", "RESTART_SLOW_COMMIT"),
        Schedule.generate(26, Schedule.Scenario.PROCESSES, 40_000, TOPOLOGY).entries().stream()
            .map(RunnerPartsTest::variant)
            .collect(Collectors.toSet()));
  }

  /** A fault's kind, and for a twin how it ends: {@code TWIN/1}. */
  private static String variant(Fault f) {
    return f.kind() == Fault.Kind.TWIN ? "TWIN/" + f.value() : f.kind().name();
  }

  @Test
  void schedulesReplayFromTheirFileAndOutOfBoundsOnesAreRefused(@TempDir Path dir)
      throws IOException {
    Schedule s = Schedule.generate(7, Schedule.Scenario.MIXED, 60_000, TOPOLOGY);
    Path file = dir.resolve("schedule.json");
    s.write(file);
    assertEquals(s, Schedule.read(file));

    Schedule tooLong =
        new Schedule(
            7, "kill", 60_000, List.of(new Fault(1_000, 30_000, Fault.Kind.KILL, "m1", null, 0)));
    tooLong.write(file);
    IOException e = assertThrows(IOException.class, () -> Schedule.read(file));
    assertTrue(e.getMessage().contains("kill -9 m1 for 30000 ms"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Schedule.Scenario.parse("chaos-monkey"));
  }

  @Test
  void leaseJournalsBecomeIntervalsEndingAtTheLatestWordOfTheCoreapp(@TempDir Path dir)
      throws IOException {
    Path journal = dir.resolve("journal-c1.jsonl");
    Files.writeString(
        journal,
        // epoch 3: renewed twice, then stopped (revoked) at 250 before its lease ran out at 400
        line(100, 3, 200, false)
            + line(100, 3, 300, false)
            + line(100, 3, 400, false)
            + line(100, 3, 250, true)
            // epoch 5: renewed, then the process was killed: the last until stands
            + line(500, 5, 600, false)
            + line(500, 5, 700, false)
            + "{\"time\":500,\"op\":\"le" // cut short by SIGKILL
            // epoch 6: its clock ran slow, then normal again: the machine time of the end moved
            // earlier, and the coreapp wrote the revised one
            + line(800, 6, 990, false)
            + line(800, 6, 950, false));
    List<Event> leases = Collect.leases(journal);
    assertEquals(3, leases.size());
    assertEquals(List.of(100L, 250L), List.of(leases.get(0).time(), leases.get(0).until()));
    assertEquals(List.of(500L, 700L), List.of(leases.get(1).time(), leases.get(1).until()));
    assertEquals(List.of(800L, 950L), List.of(leases.get(2).time(), leases.get(2).until()));
    assertEquals("c1", leases.get(1).node());
    assertEquals(5L, leases.get(1).epoch());
    NoSuchFileException missing =
        assertThrows(NoSuchFileException.class, () -> Collect.leases(dir.resolve("none.jsonl")));
    assertTrue(missing.getMessage().contains("no lease journal"), missing.getMessage());
  }

  private static String line(long since, long epoch, long until, boolean closed) {
    return String.format(
        "{\"time\":%d,\"type\":\"OK\",\"process\":\"c1\",\"op\":\"lease\",\"node\":\"c1\","
            + "\"shard\":0,\"shardCount\":2,\"epoch\":%d,\"until\":%d%s}%n",
        since, epoch, until, closed ? ",\"value\":\"closed\"" : "");
  }

  @Test
  void theUpstreamsLogBecomesSessionsDeliveriesAndBans() {
    Report report =
        Report.newBuilder()
            .addEvents(upstream(10, "session_opened", "c1", 1, "s1"))
            .addEvents(message(20, "message_accepted", "key:admin:s1-1"))
            .addEvents(message(25, "message_duplicate", "key:admin:s1-1"))
            .addEvents(upstream(30, "session_closed", "c1", 1, "lease lapsed"))
            .addEvents(upstream(40, "ban", "c2", 2, "overlaps c3"))
            .addEvents(upstream(50, "session_opened", "c2", 2, "s2"))
            .build();
    List<Event> events = new History(Collect.upstream(report, 90)).events(); // in time order
    assertEquals(
        List.of(
            "session c1 10-30",
            "accepted wamid.sim1",
            "delivered s1-1",
            "duplicate s1-1",
            "ban c2",
            "session c2 50-90"),
        events.stream()
            .map(
                e ->
                    switch (e.op()) {
                      case "session" -> "session " + e.node() + " " + e.time() + "-" + e.until();
                      case "ban" -> "ban " + e.node();
                      default -> e.op() + " " + e.key();
                    })
            .toList());
  }

  private static UpstreamEvent message(long nanos, String kind, String id) {
    return upstream(nanos, kind, "c1", 1, id + " -> wamid.sim1 to 1").toBuilder()
        .setMessageId(id)
        .build();
  }

  private static UpstreamEvent upstream(
      long nanos, String kind, String coreapp, long epoch, String detail) {
    return UpstreamEvent.newBuilder()
        .setAtMonotonicNanos(nanos)
        .setKind(kind)
        .setCoreappId(coreapp)
        .setShard(0)
        .setShardCount(1)
        .setEpoch(epoch)
        .setDetail(detail)
        .build();
  }
}
