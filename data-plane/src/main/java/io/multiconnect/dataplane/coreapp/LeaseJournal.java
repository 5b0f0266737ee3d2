package io.multiconnect.dataplane.coreapp;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intervals in which a coreapp may act on a shard, as it sees them itself, appended as JSON
 * lines for the chaos harness ({@code MC_LEASE_JOURNAL}). Times are {@link System#nanoTime()}
 * readings, comparable across the processes of one host.
 *
 * <p>Each line claims that the coreapp may act on {@code shard}/{@code shardCount} at {@code epoch}
 * from {@code time} up to {@code until}. While the lease is renewed, a line with the same start and
 * a later {@code until} follows; when the coreapp stops acting before its lease runs out (revoked,
 * released, session lost), a last line with {@code "value":"closed"} gives the moment it stopped.
 * Each line is written through at once, so a coreapp killed with SIGKILL leaves every claim it
 * made: its real interval ends no later than the last {@code until} it wrote. {@code process} names
 * the coreapp and its incarnation, so the checkers tell two processes with one id apart.
 */
final class LeaseJournal {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseJournal.class);

  private final String coreappId;
  private final String process;
  private final Writer out;
  private long epoch; // 0: not acting
  private int shard;
  private int shardCount;
  private long since;
  private long until;

  LeaseJournal(String coreappId, String incarnation, Path file) throws IOException {
    this.coreappId = coreappId;
    this.process = coreappId + "/" + incarnation;
    this.out =
        Files.newBufferedWriter(
            file,
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND,
            StandardOpenOption.WRITE);
  }

  /** The coreapp may act on this shard and epoch until {@code expiresAtNanos} (loop thread). */
  void acting(int shard, int shardCount, long epoch, long expiresAtNanos, long nowNanos) {
    if (epoch != this.epoch || shard != this.shard || shardCount != this.shardCount) {
      stopped(nowNanos);
      this.epoch = epoch;
      this.shard = shard;
      this.shardCount = shardCount;
      this.since = nowNanos;
      this.until = 0;
    }
    if (expiresAtNanos != until) {
      until = expiresAtNanos;
      write(until, false);
    }
  }

  /** The coreapp no longer acts (loop thread); a no-op when it was not acting. */
  void stopped(long nowNanos) {
    if (epoch != 0) {
      write(Math.min(nowNanos, until), true);
      epoch = 0;
    }
  }

  private void write(long end, boolean closed) {
    try {
      out.write(
          String.format(
              "{\"time\":%d,\"type\":\"OK\",\"process\":\"%s\",\"op\":\"lease\",\"node\":\"%s\","
                  + "\"shard\":%d,\"shardCount\":%d,\"epoch\":%d,\"until\":%d%s}%n",
              since,
              process,
              coreappId,
              shard,
              shardCount,
              epoch,
              end,
              closed ? ",\"value\":\"closed\"" : ""));
      out.flush();
    } catch (IOException e) {
      LOG.warn("coreapp {}: cannot write the lease journal: {}", coreappId, e.toString());
    }
  }
}
