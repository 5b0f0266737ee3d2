package io.multiconnect.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.tls.NodeTls;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that cannot start exits with a reason instead of running on without serving. */
@Tag("slow")
class StartFailureTest {
  @TempDir Path dir;

  @Test
  void aWebappWhosePortIsTakenExitsWithTheReason() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path log = dir.resolve("w1.log");
      Process p =
          Launcher.start(
              Launcher.java(
                  "w1",
                  List.of("-Xmx64m"),
                  System.getProperty("java.class.path"),
                  dir,
                  List.of("io.multiconnect.dataplane.webapp.WebappMain")),
              Map.of(
                  NodeTls.MODE,
                  "plaintext",
                  "MC_WEBAPP_ID",
                  "w1",
                  "MC_WEBAPP_ADDRESS",
                  "127.0.0.1:" + taken.getLocalPort(),
                  "MC_MASTERS",
                  "127.0.0.1:1"),
              log);
      try {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the webapp is still running");
        assertEquals(1, p.exitValue());
        assertTrue(
            Files.readString(log).contains("webapp: cannot start on 127.0.0.1:"),
            Files.readString(log));
      } finally {
        Launcher.kill(p);
      }
    }
  }
}
