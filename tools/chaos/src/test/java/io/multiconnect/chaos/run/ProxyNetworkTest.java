package io.multiconnect.chaos.run;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real sockets on loopback through the proxy network: names, cuts both ways, heal. */
@Tag("slow")
class ProxyNetworkTest {
  @TempDir Path dir;
  private ProxyNetwork net;
  private ServerSocket echo;
  private Thread echoThread;

  @BeforeEach
  void start() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    echoThread =
        new Thread(
            () -> {
              try (Socket s = echo.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                int b;
                while ((b = in.read()) >= 0) {
                  out.write(b);
                  out.flush();
                }
              } catch (IOException e) {
                // closed by the test
              }
            });
    echoThread.start();
    net = new ProxyNetwork(dir, 1, java.util.Optional.empty());
    net.add("a");
    net.add("b");
    net.expose("b", echo.getLocalPort());
  }

  @AfterEach
  void stop() throws Exception {
    net.close();
    echo.close();
    echoThread.join(5_000);
  }

  /** Where node {@code from} reaches {@code to}: read from the hosts file its JVM would get. */
  private String addressOf(String from, String to) throws IOException {
    List<String> command = net.wrap(from, List.of("/usr/bin/java", "Main"));
    assertEquals("/usr/bin/java", command.get(0));
    Path hosts = Path.of(command.get(1).substring("-Djdk.net.hosts.file=".length()));
    return Files.readAllLines(hosts).stream()
        .filter(l -> l.endsWith(" " + to + ".lab"))
        .map(l -> l.split(" ")[0])
        .findFirst()
        .orElseThrow();
  }

  @Test
  void eachNodeResolvesOthersToItsOwnProxyAndItselfToLoopback() throws IOException {
    assertEquals("127.0.0.1", addressOf("a", "a"));
    String ab = addressOf("a", "b");
    String ba = addressOf("b", "a");
    assertTrue(ab.startsWith("127.0.") && !ab.equals(ba), ab + " " + ba);
    assertEquals("b.lab", net.host("b"));
    assertEquals(List.of("mysqld"), net.wrap("a", List.of("mysqld")), "only JVMs get a hosts file");
  }

  @Test
  void aCutStallsOneDirectionUntilTheHeal() throws IOException {
    try (Socket s = new Socket(addressOf("a", "b"), echo.getLocalPort())) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      out.write('x');
      out.flush();
      assertEquals('x', in.read(), "through the proxy");

      stallsUntilTheHeal(s, 'y', "a", "b"); // requests stall
      stallsUntilTheHeal(s, 'z', "b", "a"); // answers stall; the request still arrives
    }
  }

  /**
   * With {@code from -> to} cut, {@code b} sent through {@code s} comes back only after the heal.
   */
  private void stallsUntilTheHeal(Socket s, char b, String from, String to) throws IOException {
    net.cut(from, to);
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> in.available() == 0);
    net.heal();
    assertEquals(b, in.read(), "delivered after the heal");
  }

  @Test
  void lossDelaysButDeliversEverythingInOrder() throws IOException {
    net.loss("b", 50);
    try (Socket s = new Socket(addressOf("a", "b"), echo.getLocalPort())) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (int i = 0; i < 10; i++) {
        out.write(i);
        out.flush();
        assertEquals(i, in.read());
      }
    }
  }
}
