package io.multiconnect.chaos.history;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of a run's history (JSONL). Times are {@link System#nanoTime()} readings, which every
 * process on one Linux host takes from the same monotonic clock, so events of different processes
 * compare.
 *
 * <p>What the harness records, by {@code op}:
 *
 * <ul>
 *   <li>{@code send}: a client's message, {@code key} = message id; INVOKE, then OK (acknowledged),
 *       FAIL (definitely refused) or INFO (timeout: unknown outcome).
 *   <li>{@code delivered}: the upstream simulator accepted message {@code key} (OK).
 *   <li>{@code lease}: coreapp {@code node} held a lease on {@code shard}/{@code shardCount} epoch
 *       {@code epoch} from {@code time} to {@code until}, as it reports itself (OK).
 *   <li>{@code session}: the upstream saw coreapp {@code node} act on that shard and epoch from
 *       {@code time} to {@code until} (OK).
 *   <li>{@code admin}: an operator write to {@code key} (e.g. {@code shards}, {@code drained:c1})
 *       with {@code value}; INVOKE then OK/FAIL/INFO. A coreapp restart records INFO {@code
 *       drained:<id>} = {@code false} (registering undrains).
 *   <li>{@code leader}: observer saw {@code node} lead term {@code term} (OK).
 *   <li>{@code table}: webapp {@code node}'s routing table {@code value} ({@code 0=c1,1=c2}), OK.
 *   <li>{@code heal}: every fault ended; {@code value} = {@code unhealthy_interval} in ms (OK).
 *   <li>{@code final}: the masters' final state: {@code key} {@code table} (as above), {@code
 *       shards}, or an admin key, with {@code value} (OK).
 *   <li>{@code fault}: a nemesis started (INVOKE) or ended (OK) fault {@code key}, {@code value}
 *       describes it.
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Event(
    long time,
    Type type,
    String process,
    String op,
    String node,
    Integer shard,
    Integer shardCount,
    Long epoch,
    Long term,
    String key,
    String value,
    Long until) {

  /** Where an operation stands. */
  public enum Type {
    INVOKE,
    OK,
    FAIL,
    INFO
  }

  public static Event of(
      long time, Type type, String process, String op, String key, String value) {
    return new Event(time, type, process, op, null, null, null, null, null, key, value, null);
  }

  /** A lease or session interval of {@code node} on {@code shard} of {@code shardCount}. */
  public static Event interval(
      String op, String node, int shard, int shardCount, long epoch, long from, long until) {
    return new Event(
        from, Type.OK, node, op, node, shard, shardCount, epoch, null, null, null, until);
  }

  /** This event as recorded by {@code process} (a coreapp id and its incarnation). */
  public Event byProcess(String process) {
    return new Event(
        time, type, process, op, node, shard, shardCount, epoch, term, key, value, until);
  }

  public static Event leader(long time, String observer, String node, long term) {
    return new Event(
        time, Type.OK, observer, "leader", node, null, null, null, term, null, null, null);
  }

  public static Event table(long time, String webapp, String table) {
    return new Event(
        time, Type.OK, webapp, "table", webapp, null, null, null, null, null, table, null);
  }
}
