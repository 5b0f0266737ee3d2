package io.multiconnect.master.core;

import io.multiconnect.common.lease.Assignment;
import io.multiconnect.common.lease.CoreappLease;
import io.multiconnect.common.shard.Sharding;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Random;

/**
 * A seeded, single-threaded simulation of the control plane's decision code (Kafka's
 * RaftEventSimulationTest idea). Several masters each run a real {@link Coordinator} on its own
 * drifting clock; coreapps run a real {@link CoreappLease} on theirs; a stand-in for Raft commits
 * the leaders' commands to one log; a message router delays, drops, reorders and partitions
 * traffic; leaders are deposed and elected, coreapps crash and pause, settings and the shard count
 * change. After every event the invariant is checked: no two coreapps hold a valid lease on
 * overlapping recipients at the same instant of real time.
 *
 * <p>Only time the simulation models directly is "real" time ({@link #now}); every node reads its
 * own clock as {@code offset + rate * now}.
 */
final class LeaseSimulation {
  /**
   * Scaled to the simulation's intervals (U 500 ms; a master allows no less than a minute): a
   * coreapp down for 2 s is forgotten and registers again when it comes back, under every fault of
   * the run.
   */
  private static final Duration DEREGISTER_AFTER = Duration.ofSeconds(2);

  record Config(
      int masters,
      int coreapps,
      double maxClockRateError,
      Duration heartbeatInterval,
      Duration unhealthyInterval,
      Duration length,
      double dropProbability,
      Duration maxDelay,
      Breakage breakage) {
    static Config defaults() {
      return new Config(
          3,
          4,
          0.05,
          Duration.ofMillis(100),
          Duration.ofMillis(500),
          Duration.ofSeconds(20),
          0.05,
          Duration.ofMillis(60),
          Breakage.NONE);
    }

    Config withMaxClockRateError(double error) {
      return new Config(
          masters,
          coreapps,
          error,
          heartbeatInterval,
          unhealthyInterval,
          length,
          dropProbability,
          maxDelay,
          breakage);
    }

    Config with(Breakage broken) {
      return new Config(
          masters,
          coreapps,
          maxClockRateError,
          heartbeatInterval,
          unhealthyInterval,
          length,
          dropProbability,
          maxDelay,
          broken);
    }
  }

  /**
   * A rule of the safety argument the simulation breaks on purpose, to show that it would notice:
   * each must produce violations in some seeds.
   */
  enum Breakage {
    NONE,
    /** The leader forgets an epoch it takes away as soon as it proposes the change. */
    NO_WITHHOLDING,
    /** A new leader's coordinator starts as if the grace period had already passed. */
    NO_GRACE,
    /** Leases last 6/5 of {@code unhealthy_interval} instead of the rules' fraction of it. */
    LONGER_LEASE,
    /** An operator's move assigns the target at once instead of revoking the primary first. */
    MOVE_WITHOUT_REVOCATION,
    /** Every process of a coreapp id registers with the same incarnation (leases per id). */
    SHARED_INCARNATION
  }

  record Result(
      long seed,
      Optional<String> violation,
      int assignments,
      long leaseSamples,
      int moves,
      int deregistrations) {}

  private record Event(long at, long seq, Runnable action) {}

  private final long seed;
  private final Config cfg;
  private final Random random;
  private final PriorityQueue<Event> queue =
      new PriorityQueue<>(
          (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private long eventSeq;

  /** Real time in nanoseconds. */
  private long now;

  // The Raft stand-in: the committed log, its states by index, the true leader and term.
  private final List<ClusterState> statesByIndex = new ArrayList<>();
  private final Map<Long, Integer> shardCountByEpoch = new HashMap<>();
  private int leader = -1;
  private long term;
  private final List<Command> survivingProposals = new ArrayList<>();
  private final List<InFlight> inFlight = new ArrayList<>();

  private final List<Master> masters = new ArrayList<>();
  private final List<Coreapp> coreapps = new ArrayList<>();

  /** Second processes started with an existing id in this run. */
  private int twins;

  private Optional<String> violation = Optional.empty();
  private long leaseSamples;

  LeaseSimulation(long seed, Config cfg) {
    this.seed = seed;
    this.cfg = cfg;
    this.random = new Random(seed);
  }

  /** A node's view of time: a fixed offset plus real time at a slightly wrong rate. */
  private abstract class Node {
    final double rate = 1 + (random.nextDouble() * 2 - 1) * cfg.maxClockRateError;
    final long offset = random.nextLong() >>> 8;

    long local() {
      return offset + (long) (now * rate);
    }

    long realDelay(Duration localDuration) {
      return (long) (localDuration.toNanos() / rate);
    }
  }

  private final class Master extends Node {
    final int id;

    /** This master's latest leadership's; null before its first election. */
    Coordinator coordinator;

    ClusterState applied = ClusterState.INITIAL;
    boolean believesLeader;
    boolean proposing;

    /** How far ahead of this master's clock its coordinator's reads are (only under NO_GRACE). */
    long coordinatorSkew;

    Master(int id) {
      this.id = id;
    }

    long coordinatorTime() {
      return local() + coordinatorSkew;
    }
  }

  /** One coreapp process; a restart makes it a new process (a new incarnation) of the same id. */
  private final class Coreapp extends Node {
    final String id;
    CoreappLease lease = new CoreappLease();
    String incarnation;
    boolean up = true;
    boolean paused;
    int preferredMaster;
    final Queue<Runnable> heldWhilePaused = new ArrayDeque<>();

    Coreapp(String id) {
      this.id = id;
      this.incarnation = newIncarnation(id);
    }

    /** The committed index at which it learned its Register committed; 0 before. */
    long registeredVersion;

    /** Its Register committed: it heartbeats from then on (the real Register call returns then). */
    boolean registered() {
      var known = committed().coreapps().get(id);
      boolean registered = known != null && known.incarnation().equals(incarnation);
      if (registered && registeredVersion == 0) {
        registeredVersion = statesByIndex.size() - 1;
      }
      return registered;
    }

    /** The process restarts: it remembers nothing and registers as a new incarnation. */
    void restart() {
      lease = new CoreappLease();
      incarnation = newIncarnation(id);
      registeredVersion = 0;
      heldWhilePaused.clear();
      up = true;
    }
  }

  private int incarnations;

  private String newIncarnation(String id) {
    return cfg.breakage() == Breakage.SHARED_INCARNATION ? id : id + "-" + ++incarnations;
  }

  Result run() {
    for (int i = 0; i < cfg.masters(); i++) {
      masters.add(new Master(i));
    }
    statesByIndex.add(ClusterState.INITIAL);
    for (int i = 0; i < cfg.coreapps(); i++) {
      Coreapp c = new Coreapp("c" + i);
      coreapps.add(c);
      commit(new Command.RegisterCoreapp(c.id, c.incarnation, "127.0.0.1:" + (7000 + i)));
      at(random.nextInt(100) * 1_000_000L, () -> heartbeatLoop(c));
    }
    elect(0);
    scheduleFaults();
    long end = cfg.length().toNanos();
    while (!queue.isEmpty() && violation.isEmpty()) {
      Event e = queue.poll();
      if (e.at > end) {
        break;
      }
      now = e.at;
      e.action.run();
      checkInvariant();
    }
    return new Result(
        seed,
        violation,
        statesByIndex.get(statesByIndex.size() - 1).lastEpoch() > 0
            ? (int) statesByIndex.get(statesByIndex.size() - 1).lastEpoch()
            : 0,
        leaseSamples,
        moves,
        deregistrations);
  }

  private void at(long when, Runnable action) {
    queue.add(new Event(when, eventSeq++, action));
  }

  private void after(long delayNanos, Runnable action) {
    at(now + Math.max(0, delayNanos), action);
  }

  private long millis(double ms) {
    return (long) (ms * 1_000_000);
  }

  // ---------------------------------------------------------------- Raft stand-in

  private ClusterState committed() {
    return statesByIndex.get(statesByIndex.size() - 1);
  }

  /** Operator moves and drains that took effect. */
  private int moves;

  /** Coreapps forgotten after {@link #DEREGISTER_AFTER} of silence. */
  private int deregistrations;

  private void commit(Command c) {
    long index = statesByIndex.size();
    ClusterState next = committed().apply(c, index);
    if ((c instanceof Command.MovePrimary || c instanceof Command.SetDrained)
        && committed().validate(c).isEmpty()) {
      moves++;
    }
    if (c instanceof Command.DeregisterCoreapp && committed().validate(c).isEmpty()) {
      deregistrations++;
    }
    for (Assignment a : next.assignments().values()) {
      shardCountByEpoch.putIfAbsent(a.epoch(), next.shardCount());
    }
    statesByIndex.add(next);
    for (Master m : masters) {
      after(millis(random.nextDouble() * 30), () -> catchUp(m, (int) index));
    }
  }

  /** A master applies entries up to {@code index}, in order. */
  private void catchUp(Master m, int index) {
    if (m.applied.version() < index) {
      m.applied = statesByIndex.get(index);
      if (m.believesLeader) {
        m.coordinator.applied(m.applied);
      }
    }
  }

  private void elect(int m) {
    for (Command c : survivingProposals) {
      commit(c); // entries the old leader replicated to a majority before it was deposed
    }
    survivingProposals.clear();
    term++;
    leader = m;
    Master master = masters.get(m);
    catchUp(master, statesByIndex.size() - 1);
    master.believesLeader = true;
    master.proposing = false;
    master.coordinatorSkew = 0;
    master.coordinator = new Coordinator(master::coordinatorTime, master.applied, DEREGISTER_AFTER);
    if (cfg.breakage() == Breakage.NO_GRACE) {
      master.coordinatorSkew = master.applied.leaseBoundInterval().toNanos();
    }
    pollLoop(master, term);
  }

  private void depose() {
    if (leader < 0) {
      return;
    }
    Master old = masters.get(leader);
    long oldTerm = term;
    leader = -1;
    settleInFlight(old);
    // The old leader learns of it late; until then it believes it leads.
    after(
        millis(random.nextDouble() * 2 * cfg.unhealthyInterval().toMillis()),
        () -> {
          if (term == oldTerm || leader != old.id) {
            old.believesLeader = false;
            old.coordinator.end();
          }
        });
    int next = random.nextInt(cfg.masters());
    after(millis(50 + random.nextInt(250)), () -> elect(next));
  }

  private void pollLoop(Master m, long myTerm) {
    if (leader != m.id || term != myTerm) {
      return;
    }
    if (!m.proposing) {
      List<Command> round = m.coordinator.poll(m.applied);
      propose(m, round);
    }
    after(millis(10), () -> pollLoop(m, myTerm));
  }

  /** Proposes one round of commands; the next round waits until they committed or failed. */
  private void propose(Master m, List<Command> round) {
    List<Command> valid = new ArrayList<>();
    for (Command c : round) {
      if (m.applied.validate(c).isPresent()) {
        // Rejected in startTransaction: never logged.
        m.coordinator.proposalDone(c, Coordinator.ProposalOutcome.NOT_LOGGED);
      } else {
        valid.add(c);
      }
    }
    if (valid.isEmpty()) {
      return;
    }
    if (cfg.breakage() == Breakage.NO_WITHHOLDING) {
      valid.forEach(c -> m.coordinator.proposalDone(c, Coordinator.ProposalOutcome.NOT_LOGGED));
    }
    m.proposing = true;
    // Now and then the commit is slow: the proposer times out and learns nothing, and the entry
    // commits later anyway if this master still leads.
    InFlight f = new InFlight(m, valid, random.nextDouble() < 0.1);
    inFlight.add(f);
    long commitDelay =
        f.slow
            ? millis(cfg.unhealthyInterval().toMillis() * (1 + random.nextDouble()))
            : millis(1 + random.nextInt(20));
    if (f.slow) {
      after(
          millis(100),
          () -> {
            m.proposing = false;
            f.report(Coordinator.ProposalOutcome.UNKNOWN);
          });
    }
    after(
        commitDelay,
        () -> {
          if (!inFlight.remove(f)) {
            return; // settled when its leader was deposed
          }
          m.proposing = false;
          f.commands.forEach(LeaseSimulation.this::commit);
          f.report(Coordinator.ProposalOutcome.COMMITTED);
        });
  }

  /** A round of commands appended by a leader and not yet committed. */
  private static final class InFlight {
    final Master proposer;
    final Coordinator coordinator; // of the leadership that proposed
    final List<Command> commands;
    final boolean slow;
    boolean reported;

    InFlight(Master proposer, List<Command> commands, boolean slow) {
      this.proposer = proposer;
      this.coordinator = proposer.coordinator;
      this.commands = commands;
      this.slow = slow;
    }

    void report(Coordinator.ProposalOutcome outcome) {
      if (!reported) {
        reported = true;
        commands.forEach(c -> coordinator.proposalDone(c, outcome));
      }
    }
  }

  /**
   * The leader is deposed: each of its uncommitted entries either reached a majority (and the next
   * leader commits it before it is ready) or is lost. That is decided now, before any new election.
   */
  private void settleInFlight(Master old) {
    for (InFlight f : List.copyOf(inFlight)) {
      if (f.proposer != old) {
        continue;
      }
      inFlight.remove(f);
      old.proposing = false;
      boolean survives = random.nextBoolean();
      if (survives) {
        survivingProposals.addAll(f.commands);
      }
      // Either way the proposer hears only "not the leader": the outcome is unknown to it.
      f.report(Coordinator.ProposalOutcome.UNKNOWN);
    }
  }

  // ---------------------------------------------------------------- network

  private final Map<String, Long> cutUntil = new HashMap<>();

  private boolean linkUp(String a, String b) {
    Long until = cutUntil.get(a + ">" + b);
    return until == null || now >= until;
  }

  /** Delivers after a random delay unless dropped or cut; a few messages are very late. */
  private void send(String from, String to, Runnable deliver) {
    if (!linkUp(from, to) || random.nextDouble() < cfg.dropProbability()) {
      return;
    }
    long delay =
        random.nextDouble() < 0.01
            ? millis(random.nextDouble() * 2 * cfg.unhealthyInterval().toMillis())
            : millis(random.nextDouble() * cfg.maxDelay().toMillis());
    after(delay, deliver);
  }

  // ---------------------------------------------------------------- coreapps

  private void heartbeatLoop(Coreapp c) {
    if (c.up && !c.paused && !c.registered()) {
      Master m = masters.get(c.preferredMaster);
      Command register = new Command.RegisterCoreapp(c.id, c.incarnation, "127.0.0.1:7000");
      send(c.id, "m" + m.id, () -> masterRegisters(m, c, register, false));
    } else if (c.up && !c.paused) {
      long seq = c.lease.beforeSend(c.local());
      Master m = masters.get(c.preferredMaster);
      Heartbeat hb = new Heartbeat(c, c.incarnation, c.lease, seq);
      send(c.id, "m" + m.id, () -> masterReceives(m, hb, false));
    }
    Duration h = committed().settings().heartbeatInterval();
    after(c.realDelay(h), () -> heartbeatLoop(c));
  }

  /** A master proposes a registration, or relays it once to the leader it knows. */
  private void masterRegisters(Master m, Coreapp c, Command register, boolean relayed) {
    if (m.believesLeader && leader == m.id) {
      propose(m, List.of(register));
    } else if (!relayed && leader >= 0) {
      Master target = masters.get(leader);
      send("m" + m.id, "m" + target.id, () -> masterRegisters(target, c, register, true));
    } else {
      c.preferredMaster = random.nextInt(cfg.masters());
    }
  }

  /** A heartbeat as sent: by which process, with which lease object (gone after a restart). */
  private record Heartbeat(Coreapp sender, String incarnation, CoreappLease lease, long seq) {}

  private void masterReceives(Master m, Heartbeat hb, boolean relayed) {
    Coreapp c = hb.sender();
    if (m.believesLeader) {
      m.coordinator.heard(c.id, hb.incarnation(), m.coordinatorTime());
      long receivedTerm = term;
      // Leadership is confirmed (ReadIndex) at a moment after receipt, then the answer is computed.
      after(
          millis(random.nextDouble() * 5),
          () -> {
            if (leader != m.id || term != receivedTerm || !m.believesLeader) {
              return;
            }
            HeartbeatDecision d = broken(m.coordinator.answer(m.applied, c.id, hb.incarnation()));
            send("m" + m.id, c.id, () -> coreappReceives(c, hb.lease(), hb.seq(), d));
          });
    } else if (!relayed && leader >= 0) {
      Master target = masters.get(leader);
      send("m" + m.id, "m" + target.id, () -> masterReceives(target, hb, true));
    } else {
      c.preferredMaster = random.nextInt(cfg.masters());
    }
  }

  private HeartbeatDecision broken(HeartbeatDecision d) {
    if (cfg.breakage() != Breakage.LONGER_LEASE || d.lease().isZero()) {
      return d;
    }
    Duration longer = d.state().settings().unhealthyInterval().multipliedBy(6).dividedBy(5);
    return new HeartbeatDecision(d.refusal(), d.primary(), longer, d.releaseEpochs(), d.state());
  }

  private void coreappReceives(Coreapp c, CoreappLease lease, long seq, HeartbeatDecision d) {
    if (!c.up || c.lease != lease) {
      return; // crashed since, or a restarted process that never sent this heartbeat
    }
    if (c.paused) {
      c.heldWhilePaused.add(() -> coreappReceives(c, lease, seq, d));
      return;
    }
    if (d.refusal() == HeartbeatDecision.Refusal.SUPERSEDED
        && c.registeredVersion > 0
        && d.state().version() >= c.registeredVersion) {
      c.up = false; // another process registered under its id after this one: it stops and exits
      return;
    }
    List<Long> release = c.lease.onAnswer(seq, d.primary(), d.lease(), d.releaseEpochs());
    for (long epoch : release) {
      sendRelease(c, epoch, false);
    }
  }

  private void sendRelease(Coreapp c, long epoch, boolean leaving) {
    Master m = masters.get(c.preferredMaster);
    String incarnation = c.incarnation;
    send(
        c.id,
        "m" + m.id,
        () -> {
          if (m.believesLeader && leader == m.id) {
            propose(
                m, List.of(m.coordinator.release(m.applied, c.id, incarnation, epoch, leaving)));
          }
        });
  }

  // ---------------------------------------------------------------- faults and admin

  private void scheduleFaults() {
    long end = cfg.length().toNanos();
    long u = cfg.unhealthyInterval().toNanos();
    for (long t = u; t < end; t += (long) (u * (0.3 + random.nextDouble()))) {
      int kind = random.nextInt(12);
      at(t, () -> fault(kind));
    }
  }

  private void fault(int kind) {
    long u = cfg.unhealthyInterval().toNanos();
    Coreapp c = coreapps.get(random.nextInt(coreapps.size()));
    switch (kind) {
      case 0 -> depose();
      case 1 -> {
        c.up = false;
        after(
            (long) (u * (0.5 + 3 * random.nextDouble())),
            () -> {
              c.restart(); // a restarted process remembers nothing
            });
      }
      case 2 -> {
        c.paused = true;
        after(
            (long) (u * (0.2 + 3 * random.nextDouble())),
            () -> {
              c.paused = false;
              while (!c.heldWhilePaused.isEmpty()) {
                c.heldWhilePaused.poll().run();
              }
            });
      }
      case 3 -> {
        long until = now + (long) (u * (0.5 + 4 * random.nextDouble()));
        boolean oneWay = random.nextBoolean();
        for (Master m : masters) {
          if (random.nextInt(3) > 0) {
            cutUntil.put(c.id + ">m" + m.id, until);
            if (!oneWay) {
              cutUntil.put("m" + m.id + ">" + c.id, until);
            }
          }
        }
      }
      case 4 -> adminWrite(new Command.SetShardCount(1 << random.nextInt(3)));
      case 5 -> {
        long uMs = 300 + random.nextInt(500);
        adminWrite(new Command.UpdateSettings(Duration.ofMillis(uMs / 5), Duration.ofMillis(uMs)));
      }
      case 6 -> {
        // An operator moves a random shard to a random coreapp (refused unless it is a spare).
        if (leader >= 0) {
          ClusterState s = masters.get(leader).applied;
          int shard = random.nextInt(s.shardCount());
          Assignment a = s.assignments().get(shard);
          long epoch = a == null ? 0 : a.epoch();
          adminWrite(
              cfg.breakage() == Breakage.MOVE_WITHOUT_REVOCATION
                  ? new Command.AssignPrimary(shard, c.id, epoch)
                  : new Command.MovePrimary(shard, c.id, epoch));
        }
      }
      case 7 -> {
        var known = leader < 0 ? null : masters.get(leader).applied.coreapps().get(c.id);
        adminWrite(new Command.SetDrained(c.id, known == null || !known.drained()));
      }
      case 8 -> settingsChurn();
      case 9 -> {
        // A graceful restart: the process stops acting, sends its release (which may commit slowly)
        // and starts again at once, heartbeating as a new process of the same id.
        if (c.up && !c.paused) {
          c.lease.relinquish().ifPresent(epoch -> sendRelease(c, epoch, true));
          c.restart();
        }
      }
      case 10 -> {
        // A second process is started with a live coreapp's id (a zombie, a misconfiguration).
        if (twins < 2) {
          twins++;
          Coreapp twin = new Coreapp(c.id);
          twin.preferredMaster = random.nextInt(cfg.masters());
          coreapps.add(twin);
          heartbeatLoop(twin);
        }
      }
      default -> {
        // A master-to-master partition: the leader loses one follower for a while.
        if (leader >= 0) {
          int other = (leader + 1 + random.nextInt(cfg.masters() - 1)) % cfg.masters();
          long until = now + (long) (u * random.nextDouble());
          cutUntil.put("m" + leader + ">m" + other, until);
          cutUntil.put("m" + other + ">m" + leader, until);
        }
      }
    }
  }

  /**
   * A primary is cut off from every master (not from the upstream: it keeps its lease) while {@code
   * unhealthy_interval} changes three times, each change a little before the leader could settle
   * the one before.
   */
  private void settingsChurn() {
    ClusterState s = committed();
    if (s.assignments().isEmpty()) {
      return;
    }
    List<Assignment> primaries = List.copyOf(s.assignments().values());
    String cut = primaries.get(random.nextInt(primaries.size())).coreappId();
    long u = cfg.unhealthyInterval().toNanos();
    long until = now + 4 * u;
    for (Master m : masters) {
      cutUntil.put(cut + ">m" + m.id, until);
      cutUntil.put("m" + m.id + ">" + cut, until);
    }
    long t = 0;
    for (int i = 0; i < 3; i++) {
      long uMs = 300 + random.nextInt(500);
      after(
          t,
          () ->
              adminWrite(
                  new Command.UpdateSettings(Duration.ofMillis(uMs / 5), Duration.ofMillis(uMs))));
      t += (long) (committed().leaseBoundInterval().toNanos() * (0.8 + 0.2 * random.nextDouble()));
    }
  }

  private void adminWrite(Command c) {
    if (leader < 0) {
      return;
    }
    Master m = masters.get(leader);
    if (c instanceof Command.SetShardCount s
        && m.coordinator.checkShardCount(m.applied, s.shardCount()).isPresent()) {
      return;
    }
    propose(m, List.of(c));
  }

  // ---------------------------------------------------------------- the invariant

  private void checkInvariant() {
    List<Coreapp> acting = new ArrayList<>();
    List<Assignment> held = new ArrayList<>();
    for (Coreapp c : coreapps) {
      if (c.up && !c.paused) {
        Optional<Assignment> a = c.lease.active(c.local());
        if (a.isPresent()) {
          acting.add(c);
          held.add(a.get());
          leaseSamples++;
        }
      }
    }
    for (int i = 0; i < held.size(); i++) {
      for (int j = i + 1; j < held.size(); j++) {
        Assignment a = held.get(i);
        Assignment b = held.get(j);
        int countA = shardCountByEpoch.get(a.epoch());
        int countB = shardCountByEpoch.get(b.epoch());
        if (Sharding.shareRecipients(a.shard(), countA, b.shard(), countB)) {
          violation =
              Optional.of(
                  String.format(
                      "at %.3f s: %s holds shard %d/%d epoch %d while %s holds shard %d/%d epoch %d",
                      now / 1e9,
                      acting.get(i).incarnation,
                      a.shard(),
                      countA,
                      a.epoch(),
                      acting.get(j).incarnation,
                      b.shard(),
                      countB,
                      b.epoch()));
          return;
        }
      }
    }
  }
}
