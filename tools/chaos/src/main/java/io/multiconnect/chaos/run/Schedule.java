package io.multiconnect.chaos.run;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.multiconnect.chaos.run.Fault.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A run's plan, computed up front from the seed: the faults (one at a time, each with its length
 * and an upper bound per kind) and the admin operations, in {@code schedule.json}. Replaying a
 * schedule file repeats the same faults at the same moments.
 */
@JsonIgnoreProperties(ignoreUnknown = true) // older files also say "networkFaults"
public record Schedule(long seed, String scenario, long durationMs, List<Fault> entries) {

  /** Workload before the first fault, so the cluster settles. */
  static final long WARMUP_MS = 4_000;

  /**
   * How long the end of a {@link Kind#TWIN} may wait for the twin to exit, superseded by the
   * coreapp started again (a JVM start and a registration on a loaded machine): the next fault
   * starts after it.
   */
  static final long TWIN_EXIT_MS = 8_000;

  /**
   * How long the end of a {@link Kind#TWIN} waits for a twin that has not written its lease journal
   * yet (a JVM start on a machine busy with a test suite).
   */
  static final long TWIN_START_MS = 20_000;

  /** Scenarios: which kinds each draws from. */
  public enum Scenario {
    KILL(EnumSet.of(Kind.KILL)),
    PAUSE(EnumSet.of(Kind.PAUSE)),
    PARTITION(
        EnumSet.of(
            Kind.ISOLATE,
            Kind.HALVES,
            Kind.RING,
            Kind.ONE_WAY,
            Kind.COREAPP_MASTER,
            Kind.WEBAPP_MASTER)),
    LOSS(EnumSet.of(Kind.LOSS)),
    DB(EnumSet.of(Kind.DB_STOP, Kind.DB_PAUSE)),
    CLOCK(EnumSet.of(Kind.CLOCK)),
    PROCESSES(EnumSet.of(Kind.SETTINGS_CHURN, Kind.RESTART_SLOW_COMMIT, Kind.STUTTER, Kind.TWIN)),
    ADMIN(EnumSet.noneOf(Kind.class)),
    MIXED(EnumSet.complementOf(EnumSet.of(Kind.SHARDS, Kind.MOVE, Kind.DRAIN)));

    final Set<Kind> kinds;

    Scenario(Set<Kind> kinds) {
      this.kinds = kinds;
    }

    public static Scenario parse(String name) {
      try {
        return valueOf(name.toUpperCase().replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--scenario: one of "
                + Arrays.stream(values())
                    .map(s -> s.name().toLowerCase())
                    .collect(Collectors.joining(", "))
                + ", got '"
                + name
                + "'");
      }
    }
  }

  /** The nodes a schedule may name. */
  public record Topology(List<String> masters, List<String> coreapps, List<String> webapps) {}

  /** The longest each kind may last (ms): every fault ends by then at the latest. */
  static long maxLengthMs(Kind kind) {
    return switch (kind) {
      case KILL, PAUSE -> 8_000;
      case LOSS, DB_STOP, DB_PAUSE -> 10_000;
      case DRAIN -> 8_000;
      case SHARDS, MOVE -> 0;
      default -> 10_000;
    };
  }

  static long minLengthMs(Kind kind) {
    return switch (kind) {
      case PAUSE -> 2_500; // longer than a lease: the harness runs with unhealthy_interval 2 s
      case SETTINGS_CHURN, STUTTER -> 3_000;
      case TWIN -> 8_000; // the twin's JVM starts and registers within it, even on a busy machine
      case SHARDS, MOVE -> 0;
      default -> 1_000;
    };
  }

  public static Schedule generate(
      long seed, Scenario scenario, long durationMs, Topology topology) {
    Random r = new Random(seed);
    List<Kind> kinds = scenario.kinds.stream().sorted().toList();
    List<Fault> entries = new ArrayList<>();
    long end = durationMs - 1_000;
    long t = WARMUP_MS;
    while (!kinds.isEmpty()) {
      Kind kind = kinds.get(r.nextInt(kinds.size()));
      long length =
          minLengthMs(kind) + (long) (r.nextDouble() * (maxLengthMs(kind) - minLengthMs(kind)));
      long reserve = kind == Kind.TWIN ? TWIN_EXIT_MS : 0;
      if (t + length + reserve > end) {
        break;
      }
      entries.add(fault(r, kind, t, length, topology));
      t += length + reserve + 500 + r.nextInt(2_500);
    }
    if (scenario == Scenario.ADMIN || scenario == Scenario.MIXED) {
      entries.addAll(adminOperations(r, durationMs, topology));
    }
    entries.sort(Comparator.comparingLong(Fault::atMs));
    return new Schedule(seed, scenario.name().toLowerCase(), durationMs, entries);
  }

  private static Fault fault(Random r, Kind kind, long at, long length, Topology t) {
    List<String> all = new ArrayList<>(t.masters());
    all.addAll(t.coreapps());
    all.addAll(t.webapps());
    return switch (kind) {
      case KILL, PAUSE -> {
        List<String> targets = new ArrayList<>(all);
        targets.add("leader");
        targets.add("primary:0");
        yield new Fault(at, length, kind, pick(r, targets), null, 0);
      }
      case ISOLATE -> new Fault(at, length, kind, pick(r, all), null, 0);
      case HALVES -> {
        List<String> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, r);
        int side = 1 + r.nextInt(all.size() - 1);
        yield new Fault(
            at,
            length,
            kind,
            String.join(",", shuffled.subList(0, side).stream().sorted().toList()),
            null,
            0);
      }
      case RING -> new Fault(at, length, kind, null, null, 0);
      case ONE_WAY -> {
        String from = pick(r, all);
        List<String> others = new ArrayList<>(t.masters());
        others.remove(from);
        yield new Fault(at, length, kind, from, pick(r, others), 0);
      }
      case COREAPP_MASTER -> new Fault(at, length, kind, pick(r, t.coreapps()), null, 0);
      case WEBAPP_MASTER -> new Fault(at, length, kind, pick(r, t.webapps()), null, 0);
      case LOSS -> new Fault(at, length, kind, pick(r, all), null, 10 + r.nextInt(31));
      case DB_STOP, DB_PAUSE -> new Fault(at, length, kind, "db", null, 0);
      case CLOCK -> {
        // 2-8 % either way: inside the bound docs/safety.md assumes (11 %).
        int perMille = (20 + r.nextInt(61)) * (r.nextBoolean() ? 1 : -1);
        yield new Fault(at, length, kind, pick(r, all), null, perMille);
      }
      case SETTINGS_CHURN, RESTART_SLOW_COMMIT, STUTTER ->
          new Fault(at, length, kind, "primary:0", null, 0);
      case TWIN -> new Fault(at, length, kind, "primary:0", null, r.nextInt(2));
      case SHARDS, MOVE, DRAIN -> throw new IllegalArgumentException(kind + " is not a fault");
    };
  }

  /** An operator's writes every 3-9 s: shard count 1 or 2, moves of shard 0, drains. */
  private static List<Fault> adminOperations(Random r, long durationMs, Topology t) {
    List<Fault> out = new ArrayList<>();
    long drainedUntil = 0;
    for (long at = WARMUP_MS + r.nextInt(3_000);
        at < durationMs - 3_000;
        at += 3_000 + r.nextInt(6_000)) {
      int pick = r.nextInt(3);
      if (pick == 0) {
        out.add(new Fault(at, 0, Kind.SHARDS, null, null, 1 + r.nextInt(2)));
      } else if (pick == 1) {
        out.add(new Fault(at, 0, Kind.MOVE, pick(r, t.coreapps()), null, 0));
      } else if (at > drainedUntil) {
        long length = Math.min(2_000 + r.nextInt(6_000), durationMs - 2_000 - at);
        out.add(new Fault(at, length, Kind.DRAIN, pick(r, t.coreapps()), null, 0));
        drainedUntil = at + length;
      }
    }
    return out;
  }

  private static String pick(Random r, List<String> from) {
    return from.get(r.nextInt(from.size()));
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }

  public static Schedule read(Path file) throws IOException {
    Schedule s = JSON.readValue(file.toFile(), Schedule.class);
    for (Fault f : s.entries()) {
      if (f.lengthMs() < 0 || f.lengthMs() > maxLengthMs(f.kind()) || f.endMs() > s.durationMs()) {
        throw new IOException(
            file + ": " + f.describe() + " at " + f.atMs() + " ms exceeds its bounds");
      }
    }
    return s;
  }
}
