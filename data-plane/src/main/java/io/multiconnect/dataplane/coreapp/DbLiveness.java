package io.multiconnect.dataplane.coreapp;

import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.node.DaemonThreads;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database-based liveness, as in the original client: upserts this coreapp's row in {@code
 * coreapp_liveness} every {@code db_heartbeat_interval}. Its own thread, so a slow or dead database
 * never delays heartbeats or the lease. Failover never depends on it.
 *
 * <p>One connection is kept between beats and made again only after a failure: a new TLS connection
 * per beat cost about 0.2 s of CPU, a third of a percent of a core at the default minute, which an
 * idle coreapp's budget (0.5 %) cannot spare.
 */
final class DbLiveness implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DbLiveness.class);
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);

  /** The longest a beat waits for the database on the kept connection. */
  private static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(10);

  private static final String UPSERT =
      "INSERT INTO coreapp_liveness (id, address, last_seen) VALUES (?, ?, CURRENT_TIMESTAMP(3))"
          + " ON DUPLICATE KEY UPDATE address = VALUES(address), last_seen = CURRENT_TIMESTAMP(3)";

  private final MirrorSettings db;
  private final String id;
  private final String address;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("db-liveness"));
  private boolean failing;
  private Connection connection; // only on the timer's thread

  DbLiveness(MirrorSettings db, String id, String address) {
    this.db = db;
    this.id = id;
    this.address = address;
  }

  DbLiveness start(Duration interval) {
    timer.scheduleWithFixedDelay(this::beat, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void beat() {
    try {
      try {
        upsert();
      } catch (SQLException kept) {
        // The kept connection may have been closed by the server (a restart, wait_timeout, a
        // proxy's idle timeout) since the last beat: once more on a new one before giving up.
        closeConnection();
        upsert();
      }
      if (failing) {
        LOG.info("coreapp {}: database liveness written again", id);
        failing = false;
      }
    } catch (SQLException e) {
      closeConnection(); // the next beat connects again
      if (!failing) {
        LOG.warn("coreapp {}: database liveness not written: {}", id, e.getMessage());
        failing = true;
      }
    }
  }

  /** Upserts the row over the kept connection, made first if there is none. */
  private void upsert() throws SQLException {
    if (connection == null) {
      connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
      // A connection that lives for hours can go half-dead: no beat waits on it for longer.
      connection.setNetworkTimeout(Runnable::run, (int) NETWORK_TIMEOUT.toMillis());
    }
    try (PreparedStatement p = connection.prepareStatement(UPSERT)) {
      p.setString(1, id);
      p.setString(2, address);
      p.executeUpdate();
    }
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.debug("coreapp {}: closing the liveness connection: {}", id, e.getMessage());
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      if (timer.awaitTermination(5, TimeUnit.SECONDS)) {
        closeConnection();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
