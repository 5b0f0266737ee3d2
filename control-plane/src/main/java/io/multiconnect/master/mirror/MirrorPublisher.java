package io.multiconnect.master.mirror;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.master.core.ClusterState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes committed state to the MySQL mirror while this master leads. Runs on its own thread,
 * off the Raft apply path: {@link #offer} only stores the newest state and wakes the thread, so a
 * slow or dead database never blocks Raft, heartbeats or failover. The thread always writes the
 * newest state it has (older ones are skipped, which is safe because each write is the whole
 * state), retries every {@link #RETRY_DELAY} while the database is down, and so catches up from the
 * current state when it returns.
 */
public final class MirrorPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorPublisher.class);
  static final Duration RETRY_DELAY = Duration.ofSeconds(1);

  private final HikariDataSource dataSource;
  private final BooleanSupplier leading;
  private final AtomicReference<ClusterState> newest = new AtomicReference<>();
  private final Semaphore wake = new Semaphore(0);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long publishedVersion = -1;
  private volatile long publishedAtNanos;
  private boolean migrated;
  private boolean failing;

  public MirrorPublisher(MirrorSettings settings, BooleanSupplier leading, String nodeId) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(settings.jdbcUrl());
    hc.setUsername(settings.user());
    hc.setPassword(settings.password());
    hc.setMaximumPoolSize(2);
    hc.setConnectionTimeout(2_000);
    hc.setValidationTimeout(1_000);
    hc.setInitializationFailTimeout(-1); // start even while the database is down
    hc.setPoolName("mirror-" + nodeId);
    this.dataSource = new HikariDataSource(hc);
    this.leading = leading;
    this.thread = DaemonThreads.thread("mirror-" + nodeId, this::loop);
  }

  public MirrorPublisher start() {
    thread.start();
    return this;
  }

  /** Hands over the newest applied state; never blocks. */
  public void offer(ClusterState state) {
    newest.accumulateAndGet(state, (a, b) -> a == null || b.version() > a.version() ? b : a);
    wake.release();
  }

  /** Raft index of the last state written, or -1. */
  public long publishedVersion() {
    return publishedVersion;
  }

  /** {@link System#nanoTime()} of the last successful write; meaningless while nothing was. */
  public long publishedAtNanos() {
    return publishedAtNanos;
  }

  private void loop() {
    while (running) {
      try {
        wake.tryAcquire(RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
        ClusterState s = newest.get();
        if (s == null || !leading.getAsBoolean() || s.version() <= publishedVersion) {
          continue;
        }
        try (Connection c = dataSource.getConnection()) {
          if (!migrated) {
            int applied = Migrations.migrate(c);
            migrated = true;
            LOG.info("mirror schema ready ({} migrations applied)", applied);
          }
          MirrorWriter.write(c, s);
          publishedVersion = s.version();
          publishedAtNanos = System.nanoTime();
          if (failing) {
            LOG.info("mirror reachable again; caught up at index {}", s.version());
            failing = false;
          }
        } catch (SQLException e) {
          if (!failing) {
            LOG.warn(
                "mirror write failed (retrying every {} ms): {}",
                RETRY_DELAY.toMillis(),
                e.getMessage());
            failing = true;
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.error("mirror publisher error; continuing", e);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(3_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    dataSource.close();
  }
}
