package io.multiconnect.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The load generator's client against a loopback server that answers 201, over real sockets. */
@Tag("slow")
class KeepAliveHttpTest {
  private final AtomicLong clock = new AtomicLong();
  private Server server;

  /**
   * Answers every request 201 on the connection it came on; {@code oneEach}: then closes the
   * connection without saying so, as a server does when a kept-alive connection idles too long.
   */
  private static final class Server implements AutoCloseable {
    final ServerSocket socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    final AtomicInteger connections = new AtomicInteger();
    final Thread thread;

    Server(boolean oneEach) throws IOException {
      socket.setSoTimeout(10_000);
      thread =
          new Thread(
              () -> {
                for (int i = 0; i < 10 && !socket.isClosed(); i++) {
                  try (Socket s = socket.accept()) {
                    connections.incrementAndGet();
                    s.setSoTimeout(10_000);
                    serve(s, oneEach ? 1 : 10);
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "test-http");
      thread.start();
    }

    private static void serve(Socket s, int requests) throws IOException {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      for (int r = 0; r < requests; r++) {
        int length = 0;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
          if (line.toLowerCase().startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        if (in.skip(length) < length) {
          return;
        }
        out.write(
            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    @Override
    public void close() throws Exception {
      socket.close();
      thread.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  private int post(KeepAliveHttp http) throws IOException {
    return http.post("/v1/messages", "Bearer t", null, "{\"to\":\"1\"}");
  }

  @Test
  void aConnectionInUseIsKeptForTheNextRequest() throws Exception {
    server = new Server(false);
    KeepAliveHttp http = new KeepAliveHttp(server.uri(), 5_000, clock::get);
    assertEquals(201, post(http));
    clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertEquals(201, post(http));
    assertEquals(201, post(http));
    assertEquals(1, server.connections.get());
  }

  @Test
  void aConnectionIdleLongerThanTheServerMayKeepItIsNotReused() throws Exception {
    // The server closed the first connection after its answer: writing the next request into it
    // would fail. After an idle stretch the client opens a new one instead.
    server = new Server(true);
    KeepAliveHttp http = new KeepAliveHttp(server.uri(), 5_000, clock::get);
    assertEquals(201, post(http));
    clock.addAndGet(KeepAliveHttp.IDLE_REUSE_NANOS + 1);
    assertEquals(201, post(http));
    assertEquals(2, server.connections.get());
  }
}
