package io.multiconnect.master.mirror;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Versioned schema migrations: ordered SQL files {@code db/mirror/V<n>__<name>.sql} on the
 * classpath, recorded in {@code schema_version}. Each runs once, in order; statements are separated
 * by semicolons at line ends.
 */
public final class Migrations {
  /** Every migration, oldest first. Add new files at the end; never edit an applied one. */
  static final List<String> FILES =
      List.of(
          "V1__mirror.sql",
          "V2__auth_key.sql",
          "V3__coreapp_liveness.sql",
          "V4__token_public_keys.sql",
          "V5__api_users.sql");

  private Migrations() {}

  /** The named lock that makes migrations one at a time (GET_LOCK: MySQL and MariaDB). */
  static final String LOCK = "multiconnect.mirror.migrations";

  /**
   * Applies the migrations this database has not seen; returns how many ran. One process at a time
   * (a named lock, waited for up to 30 s): two masters, or a master and a tool, that both find a
   * migration missing would otherwise both apply it.
   */
  public static int migrate(Connection c) throws SQLException {
    try (PreparedStatement lock = c.prepareStatement("SELECT GET_LOCK(?, 30)")) {
      lock.setString(1, LOCK);
      try (ResultSet r = lock.executeQuery()) {
        if (!r.next() || r.getInt(1) != 1) {
          throw new SQLException("another process held the migration lock " + LOCK + " for 30 s");
        }
      }
    }
    try {
      return migrateLocked(c);
    } finally {
      try (PreparedStatement unlock = c.prepareStatement("SELECT RELEASE_LOCK(?)")) {
        unlock.setString(1, LOCK);
        unlock.executeQuery().close();
      }
    }
  }

  private static int migrateLocked(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL PRIMARY KEY,"
              + " name VARCHAR(255) NOT NULL,"
              + " applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))");
    }
    int current = 0;
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
      if (r.next()) {
        current = r.getInt(1);
      }
    }
    int applied = 0;
    for (int v = current + 1; v <= FILES.size(); v++) {
      String file = FILES.get(v - 1);
      try (Statement s = c.createStatement()) {
        for (String sql : read(file).split(";\\s*\\n")) {
          if (!sql.isBlank()) {
            s.execute(sql);
          }
        }
      }
      try (PreparedStatement p =
          c.prepareStatement("INSERT INTO schema_version (version, name) VALUES (?, ?)")) {
        p.setInt(1, v);
        p.setString(2, file);
        p.executeUpdate();
      }
      applied++;
    }
    return applied;
  }

  private static String read(String file) throws SQLException {
    try (InputStream in = Migrations.class.getResourceAsStream("/db/mirror/" + file)) {
      if (in == null) {
        throw new SQLException("migration " + file + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .filter(l -> !l.trim().startsWith("--"))
          .reduce("", (a, b) -> a + b + "\n");
    } catch (IOException e) {
      throw new SQLException("cannot read migration " + file, e);
    }
  }
}
