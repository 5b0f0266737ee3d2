package io.multiconnect.chaos.check;

import static io.multiconnect.chaos.history.Event.Type.FAIL;
import static io.multiconnect.chaos.history.Event.Type.INFO;
import static io.multiconnect.chaos.history.Event.Type.INVOKE;
import static io.multiconnect.chaos.history.Event.Type.OK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each checker on synthetic histories: ones that must pass and ones that must fail. */
class CheckersTest {
  private static final long MS = 1_000_000L;

  private static History history(Event... events) {
    return new History(List.of(events));
  }

  private static Event lease(
      String node, int shard, int count, long epoch, long fromMs, long toMs) {
    return Event.interval("lease", node, shard, count, epoch, fromMs * MS, toMs * MS);
  }

  @Test
  void noTwoPrimariesAcceptsHandOversAndDisjointShards() {
    CheckResult r =
        new NoTwoPrimaries()
            .check(
                history(
                    lease("c1", 0, 2, 1, 0, 100),
                    lease("c2", 1, 2, 2, 0, 300), // other shard, same time
                    lease("c3", 0, 2, 3, 100, 200), // starts exactly when c1's ends
                    lease("c3", 0, 1, 4, 300, 400), // one shard after c2 ended
                    Event.interval("session", "c3", 0, 2, 3, 120 * MS, 150 * MS)));
    assertTrue(r.passed(), r.violations().toString());
    assertEquals(5, r.examined());
  }

  @Test
  void twoProcessesWithOneCoreappIdAreTwoPrimaries() {
    Event first = lease("c1", 0, 2, 4, 0, 100).byProcess("c1/aa");
    Event itsSession =
        Event.interval("session", "c1", 0, 2, 4, 10 * MS, 90 * MS).byProcess("c1/aa");
    assertTrue(new NoTwoPrimaries().check(history(first, itsSession)).passed());
    Event second = lease("c1", 0, 2, 4, 50, 150).byProcess("c1/bb");
    CheckResult r = new NoTwoPrimaries().check(history(first, itsSession, second));
    assertEquals(2, r.violations().size(), r.violations().toString());
    assertTrue(r.violations().get(0).contains("c1/bb"), r.violations().get(0));
  }

  @Test
  void noTwoPrimariesFindsOverlapsAcrossShardCounts() {
    CheckResult same =
        new NoTwoPrimaries()
            .check(history(lease("c1", 0, 2, 1, 0, 100), lease("c2", 0, 2, 2, 99, 200)));
    assertEquals(1, same.violations().size(), same.violations().toString());
    assertTrue(
        same.violations().get(0).contains("lease c1 shard 0/2 epoch 1"), same.violations().get(0));

    // Shard 1 of 4 shares recipients with shard 1 of 2 (and not with shard 0 of 2).
    CheckResult split =
        new NoTwoPrimaries()
            .check(
                history(
                    lease("c1", 1, 2, 1, 0, 100),
                    lease("c2", 0, 2, 2, 0, 100),
                    lease("c3", 1, 4, 3, 50, 150)));
    assertEquals(1, split.violations().size(), split.violations().toString());
    assertTrue(
        split.violations().get(0).contains("c1") && split.violations().get(0).contains("c3"));

    // The upstream's view counts too: a session overlapping another coreapp's lease.
    CheckResult session =
        new NoTwoPrimaries()
            .check(
                history(
                    lease("c1", 0, 1, 1, 0, 100),
                    Event.interval("session", "c2", 0, 1, 2, 90 * MS, 95 * MS)));
    assertEquals(1, session.violations().size());
  }

  @Test
  void noTwoPrimariesReportsTheUpstreamsBans() {
    Event ban =
        new Event(5 * MS, OK, "upstream", "ban", "c2", 0, 1, 2L, null, null, "overlaps c1", null);
    CheckResult r = new NoTwoPrimaries().check(history(lease("c1", 0, 1, 1, 0, 4), ban));
    assertEquals(List.of("the upstream banned the account: c2 overlaps c1"), r.violations());
  }

  private static Event send(Event.Type type, String id, long ms) {
    return Event.of(ms * MS, type, "client-1", "send", id, null);
  }

  private static Event delivered(String id, long ms) {
    return Event.of(ms * MS, OK, "upstream", "delivered", id, null);
  }

  @Test
  void exactlyOnceAcceptsEveryAllowedOutcome() {
    CheckResult r =
        new ExactlyOnce()
            .check(
                history(
                    send(INVOKE, "m1", 0),
                    delivered("m1", 1),
                    send(OK, "m1", 2),
                    send(INVOKE, "m2", 3),
                    send(FAIL, "m2", 4),
                    send(INVOKE, "m3", 5),
                    send(INFO, "m3", 6),
                    delivered("m3", 7),
                    send(INVOKE, "m4", 8),
                    send(INFO, "m4", 9),
                    // retried with its id after an unknown outcome, then a refusal, then OK
                    send(INVOKE, "m5", 10),
                    send(INFO, "m5", 11),
                    delivered("m5", 12),
                    send(INVOKE, "m5", 13),
                    send(FAIL, "m5", 14),
                    send(INVOKE, "m5", 15),
                    send(OK, "m5", 16)));
    assertTrue(r.passed(), r.violations().toString());
    assertEquals(5, r.examined());
  }

  @Test
  void exactlyOnceCountsAnUnknownAttemptBeforeARefusal() {
    // The first attempt's outcome was unknown and it did arrive; a later refusal does not make
    // the message a failed one.
    CheckResult r =
        new ExactlyOnce()
            .check(
                history(
                    send(INVOKE, "m1", 0),
                    send(INFO, "m1", 1),
                    delivered("m1", 2),
                    send(INVOKE, "m1", 3),
                    send(FAIL, "m1", 4)));
    assertTrue(r.passed(), r.violations().toString());
  }

  @Test
  void exactlyOnceFindsLostDuplicatedAndPhantomMessages() {
    CheckResult r =
        new ExactlyOnce()
            .check(
                history(
                    send(INVOKE, "lost", 0),
                    send(OK, "lost", 1),
                    send(INVOKE, "twice", 2),
                    delivered("twice", 3),
                    delivered("twice", 4),
                    send(OK, "twice", 5),
                    send(INVOKE, "failed", 6),
                    delivered("failed", 7),
                    send(FAIL, "failed", 8),
                    send(INVOKE, "unknown", 9),
                    send(INFO, "unknown", 10),
                    delivered("unknown", 11),
                    delivered("unknown", 12),
                    delivered("phantom", 13)));
    assertEquals(
        List.of(
            "acknowledged message lost delivered 0 times",
            "acknowledged message twice delivered 2 times",
            "failed message failed delivered 1 times",
            "message phantom delivered but never sent",
            "message unknown with unknown outcome delivered 2 times"),
        r.violations().stream().sorted().toList());
  }

  private static Event admin(Event.Type type, String process, String key, String value, long ms) {
    return Event.of(ms * MS, type, process, "admin", key, value);
  }

  private static Event fin(String key, String value) {
    return Event.of(1_000_000 * MS, OK, "final", "final", key, value);
  }

  @Test
  void adminChangesMustSurviveUnlessALaterWriteMayHaveReplacedThem() {
    History ok =
        history(
            admin(INVOKE, "op-1", "shards", "2", 0),
            admin(OK, "op-1", "shards", "2", 10),
            admin(INVOKE, "op-2", "shards", "4", 20),
            admin(INFO, "op-2", "shards", "4", 30),
            admin(INVOKE, "op-1", "drained:c1", "true", 40),
            admin(OK, "op-1", "drained:c1", "true", 50),
            admin(INFO, "restart", "drained:c1", "false", 60),
            fin("shards", "4"),
            fin("drained:c1", "false"));
    assertTrue(new AdminChangesDurable().check(ok).passed());

    History lost =
        history(
            admin(INVOKE, "op-1", "shards", "2", 0),
            admin(OK, "op-1", "shards", "2", 10),
            admin(INVOKE, "op-2", "shards", "4", 20),
            admin(FAIL, "op-2", "shards", "4", 30),
            fin("shards", "4"));
    CheckResult r = new AdminChangesDurable().check(lost);
    assertEquals(List.of("acknowledged shards=2 lost: final 4, allowed [2]"), r.violations());
  }

  private static Event table(String webapp, String table, long ms) {
    return Event.table(ms * MS, webapp, table);
  }

  private static Event heal(long ms, long unhealthyMs) {
    return Event.of(ms * MS, OK, "nemesis", "heal", null, Long.toString(unhealthyMs));
  }

  @Test
  void convergenceWithinTwiceTheUnhealthyInterval() {
    History ok =
        history(
            table("w1", "0=c1", 0),
            heal(1000, 500),
            table("w1", "0=c1", 1100),
            table("w1", "0=c2,1=c3", 1900),
            table("w1", "0=c2,1=c3", 2500),
            table("w2", "0=c2,1=c3", 1200),
            fin("table", "0=c2,1=c3"),
            fin("shards", "2"));
    CheckResult r = new Convergence().check(ok);
    assertTrue(r.passed(), r.violations().toString());
    assertEquals(2, r.examined());
  }

  @Test
  void convergenceFindsSlowDivergentAndPrimarylessShards() {
    History slow =
        history(
            heal(1000, 500),
            table("w1", "0=c1", 1100),
            table("w1", "0=c2", 2100),
            fin("table", "0=c2"),
            fin("shards", "1"));
    assertEquals(
        List.of("w1 matched the masters only 1100 ms after the heal (limit 1000 ms)"),
        new Convergence().check(slow).violations());

    History divergent =
        history(
            heal(1000, 500),
            table("w1", "0=c2", 1100),
            table("w1", "0=c9", 1300),
            fin("table", "0=c2"),
            fin("shards", "1"));
    assertEquals(
        List.of("w1 diverged again: 0=c9"), new Convergence().check(divergent).violations());

    History missing = history(heal(1000, 500), fin("table", "0=c2"), fin("shards", "2"));
    assertEquals(
        List.of("shard 1 has no primary after the heal"),
        new Convergence().check(missing).violations());
    assertEquals(
        List.of("the history has no final heal"),
        new Convergence().check(history(fin("table", "0=c1"))).violations());
  }

  @Test
  void aCheckerThatExaminedNothingFails() {
    History empty = history();
    for (Checker c : Checker.all()) {
      CheckResult r = c.check(empty);
      assertFalse(r.passed(), r.checker() + " passed an empty history");
    }
    CheckResult leasesOnly = new AdminChangesDurable().check(history(lease("c1", 0, 1, 1, 0, 9)));
    assertEquals(
        List.of("admin-changes-durable examined nothing: the history has none of what it checks"),
        leasesOnly.violations());
    CheckResult noWrites = new AdminChangesDurable().check(history(fin("shards", "2")));
    assertTrue(noWrites.passed(), noWrites.violations().toString());
    assertEquals(1, noWrites.examined());
  }

  @Test
  void oneLeaderPerTerm() {
    History ok =
        history(
            Event.leader(0, "obs", "m1", 2),
            Event.leader(1, "obs", "m1", 2),
            Event.leader(2, "obs", "m2", 3));
    assertTrue(new OneLeaderPerTerm().check(ok).passed());
    History split =
        history(
            Event.leader(0, "obs", "m1", 2),
            Event.leader(1, "obs2", "m2", 2),
            Event.leader(2, "obs", "m2", 2));
    assertEquals(
        List.of("term 2 led by m1 and m2"), new OneLeaderPerTerm().check(split).violations());
  }

  @Test
  void historiesRoundTripThroughJsonLines(@TempDir Path dir) throws Exception {
    History h =
        history(
            lease("c1", 0, 2, 1, 0, 100),
            send(INVOKE, "m1", 1),
            send(OK, "m1", 2),
            Event.leader(3, "obs", "m1", 7),
            table("w1", "0=c1", 4),
            heal(5, 500));
    Path file = dir.resolve("history.jsonl");
    h.write(file);
    assertEquals(h.events(), History.read(file).events());
    assertEquals(6, Files.readAllLines(file).size());
  }

  @Test
  void theRunnerSummarisesAndWritesResults(@TempDir Path dir) throws Exception {
    History broken =
        history(
            lease("c1", 0, 1, 1, 0, 100),
            lease("c2", 0, 1, 2, 50, 150),
            send(INVOKE, "m1", 1),
            send(OK, "m1", 2),
            delivered("m1", 2),
            heal(200, 500),
            table("w1", "0=c2", 300),
            Event.leader(310, "obs", "m1", 2),
            fin("table", "0=c2"),
            fin("shards", "1"),
            Event.of(320, OK, "inbound", "inbound", "wamid.in1", "15550001111"),
            Event.of(330, OK, "webhook", "webhook", "msg:wamid.in1", null));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Path results = dir.resolve("results.json");
    List<CheckResult> all = CheckMain.run(broken, results, new PrintStream(bytes, true, "UTF-8"));
    String out = bytes.toString("UTF-8");
    assertEquals(Checker.all().size(), all.size());
    assertTrue(out.endsWith((all.size() - 1) + " passed, 1 failed\n"), out);
    assertTrue(out.contains("no-two-primaries       FAILED"), out);
    assertTrue(Files.readString(results).contains("\"checker\" : \"no-two-primaries\""));
  }
}
