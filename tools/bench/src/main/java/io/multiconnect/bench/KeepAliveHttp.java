package io.multiconnect.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A lean HTTP/1.1 client for the load generator: one kept-alive connection per calling thread,
 * request bytes written in one go, the response read by Content-Length or chunks. Java's {@code
 * HttpClient} cost the generator about 0.7 ms of CPU per request on this machine, a third of the
 * two cores the system under measurement needs (docs/benchmarks-log-2026-11.md). Not a general
 * client: no redirects, no TLS, answers read whole and dropped.
 */
final class KeepAliveHttp {
  /**
   * A connection idle longer than this is not reused: the server may have closed it (Jetty's idle
   * timeout is 30 s), and a request written into a closed connection fails. The quick benchmark run
   * stopped on that after 25 s without a message between two figures.
   */
  static final long IDLE_REUSE_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final InetSocketAddress address;
  private final String hostHeader;
  private final int timeoutMs;
  private final LongSupplier nanoClock;
  private final ThreadLocal<Connection> connections = new ThreadLocal<>();

  KeepAliveHttp(URI base, int timeoutMs) {
    this(base, timeoutMs, System::nanoTime);
  }

  KeepAliveHttp(URI base, int timeoutMs, LongSupplier nanoClock) {
    this.address = new InetSocketAddress(base.getHost(), base.getPort());
    this.hostHeader = base.getHost() + ":" + base.getPort();
    this.timeoutMs = timeoutMs;
    this.nanoClock = nanoClock;
  }

  /** POSTs {@code body} as JSON on this thread's connection; the status code. */
  int post(String path, String authorization, String idempotencyKey, String body)
      throws IOException {
    byte[] payload = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head =
        new StringBuilder(256)
            .append("POST ")
            .append(path)
            .append(" HTTP/1.1\r\nHost: ")
            .append(hostHeader)
            .append("\r\nAuthorization: ")
            .append(authorization)
            .append("\r\nContent-Type: application/json\r\nContent-Length: ")
            .append(payload.length)
            .append("\r\n");
    if (idempotencyKey != null) {
      head.append("Idempotency-Key: ").append(idempotencyKey).append("\r\n");
    }
    head.append("\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] request = new byte[h.length + payload.length];
    System.arraycopy(h, 0, request, 0, h.length);
    System.arraycopy(payload, 0, request, h.length, payload.length);
    Connection c = connections.get();
    long now = nanoClock.getAsLong();
    if (c != null && now - c.lastUsedNanos > IDLE_REUSE_NANOS) {
      connections.remove();
      c.close();
      c = null;
    }
    if (c == null) {
      c = new Connection(address, timeoutMs);
      connections.set(c);
    }
    try {
      int code = c.exchange(request);
      c.lastUsedNanos = nanoClock.getAsLong();
      if (c.closing) {
        connections.remove();
        c.close();
      }
      return code;
    } catch (IOException | RuntimeException e) {
      connections.remove();
      c.close();
      throw e;
    }
  }

  private static final class Connection {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private boolean closing;
    private long lastUsedNanos;

    Connection(InetSocketAddress address, int timeoutMs) throws IOException {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeoutMs);
      socket.connect(address, timeoutMs);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 8192);
    }

    int exchange(byte[] request) throws IOException {
      out.write(request);
      out.flush();
      String status = line();
      if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
        throw new IOException("not an HTTP/1.1 status line: " + status);
      }
      int code = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean chunked = false;
      for (String header = line(); !header.isEmpty(); header = line()) {
        int colon = header.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = header.substring(0, colon).trim();
        String value = header.substring(colon + 1).trim();
        if (name.equalsIgnoreCase("Content-Length")) {
          length = Long.parseLong(value);
        } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
          chunked = value.equalsIgnoreCase("chunked");
        } else if (name.equalsIgnoreCase("Connection")) {
          closing = value.equalsIgnoreCase("close");
        }
      }
      if (chunked) {
        for (long size = Long.parseLong(line().split(";")[0].trim(), 16);
            size > 0;
            size = Long.parseLong(line().split(";")[0].trim(), 16)) {
          skip(size);
          line();
        }
        while (!line().isEmpty()) {
          // trailers
        }
      } else if (length >= 0) {
        skip(length);
      } else {
        throw new IOException("answer without a length");
      }
      return code;
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream(64);
      for (int ch = in.read(); ch != '\n'; ch = in.read()) {
        if (ch < 0) {
          throw new IOException("connection closed mid-answer");
        }
        if (ch != '\r') {
          b.write(ch);
        }
      }
      return b.toString(StandardCharsets.US_ASCII);
    }

    private void skip(long n) throws IOException {
      for (long left = n; left > 0; ) {
        long k = in.skip(left);
        if (k <= 0) {
          if (in.read() < 0) {
            throw new IOException("connection closed mid-body");
          }
          k = 1;
        }
        left -= k;
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // already broken
      }
    }
  }
}
