package io.multiconnect.master.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.master.EmbeddedMariaDb;
import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The conditional writes, at the SQL level, against a real MariaDB. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("slow")
class MirrorWriterTest {
  private EmbeddedMariaDb db;
  private MirrorSettings m;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    db = new EmbeddedMariaDb(dir);
    m = db.settings("mirror_sql");
    try (Connection c = connect()) {
      assertEquals(Migrations.FILES.size(), Migrations.migrate(c), "the first run applies all");
      assertEquals(0, Migrations.migrate(c), "a second run applies nothing");
    }
  }

  @AfterAll
  void stop() throws Exception {
    db.close();
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection(m.jdbcUrl(), m.user(), m.password());
  }

  /**
   * Two processes that find the schema missing at once (the lab's database setup and a master did,
   * and one of them failed on a duplicate schema_version row): each migration runs once.
   */
  @Test
  void migrationsStartedAtOnceApplyEachFileOnce() throws Exception {
    MirrorSettings fresh = db.settings("mirror_race");
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      Callable<Integer> migrate =
          () -> {
            try (Connection c =
                DriverManager.getConnection(fresh.jdbcUrl(), fresh.user(), fresh.password())) {
              return Migrations.migrate(c);
            }
          };
      List<Future<Integer>> runs = two.invokeAll(List.of(migrate, migrate));
      assertEquals(
          Migrations.FILES.size(), runs.get(0).get() + runs.get(1).get(), "applied in all");
    } finally {
      two.shutdownNow();
    }
    try (Connection c =
            DriverManager.getConnection(fresh.jdbcUrl(), fresh.user(), fresh.password());
        ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM schema_version")) {
      r.next();
      assertEquals(Migrations.FILES.size(), r.getInt(1));
    }
  }

  /** Builds a state by applying commands from index {@code firstIndex}. */
  private static ClusterState state(long firstIndex, Command... commands) {
    ClusterState s = ClusterState.INITIAL;
    long i = firstIndex - 1;
    for (Command c : commands) {
      s = s.apply(c, ++i);
    }
    return s;
  }

  private void write(ClusterState s) throws Exception {
    try (Connection c = connect()) {
      MirrorWriter.write(c, s);
    }
  }

  private String row(String sql) throws Exception {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet r = st.executeQuery(sql)) {
      return r.next() ? r.getString(1) : "none";
    }
  }

  private String shard0() throws Exception {
    return row(
        "SELECT CONCAT(primary_coreapp, '@', epoch, '#', raft_index) FROM shards WHERE shard = 0");
  }

  @Test
  void aStaleLeadersLateWriteChangesNothing() throws Exception {
    Command a = new Command.RegisterCoreapp("a", "a-1", "127.0.0.1:7001");
    Command b = new Command.RegisterCoreapp("b", "b-1", "127.0.0.1:7002");
    // The current leader's state: b holds shard 0 at epoch 2, index 104.
    ClusterState current =
        state(
            100, a, b, new Command.AssignPrimary(0, "a", 0), new Command.AssignPrimary(0, "b", 1));
    // A deposed leader's older view: a holds shard 0 at epoch 1, index 102.
    ClusterState stale = state(100, a, b, new Command.AssignPrimary(0, "a", 0));

    write(current);
    assertEquals("b@2#103", shard0());
    write(stale);
    assertEquals("b@2#103", shard0(), "an older index changes nothing");
    assertEquals("103", row("SELECT raft_index FROM cluster_state WHERE id = 1"));
    assertEquals("secondary", row("SELECT state FROM coreapps WHERE id = 'a'"), "coreapp rows too");

    // A newer index that carries an older epoch for the shard is refused as well.
    ClusterState olderEpochNewerIndex = state(200, a, b, new Command.AssignPrimary(0, "a", 0));
    write(olderEpochNewerIndex);
    assertEquals("b@2#103", shard0(), "an older epoch changes nothing");
  }

  @Test
  void aDeregisteredCoreappLeavesTheMirror() throws Exception {
    Command a = new Command.RegisterCoreapp("x", "x-1", "127.0.0.1:7001");
    Command b = new Command.RegisterCoreapp("y", "y-1", "127.0.0.1:7002");
    Command forget = new Command.DeregisterCoreapp("x", "x-1");
    String rows =
        "SELECT GROUP_CONCAT(CONCAT(id, ':', raft_index) ORDER BY id) FROM coreapps"
            + " WHERE id IN ('x', 'y')";
    ClusterState both = state(300, a, b);
    write(both);
    assertEquals("x:301,y:301", row(rows));
    write(state(300, a, b, forget));
    assertEquals("y:302", row(rows));
    // A deposed leader's late write brings the row back at its older index, until the next write.
    write(both);
    assertEquals("x:301,y:302", row(rows));
    write(state(301, a, b, forget));
    assertEquals("y:303", row(rows));
  }
}
