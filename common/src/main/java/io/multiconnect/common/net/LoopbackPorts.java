package io.multiconnect.common.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for local clusters (tests, the chaos lab, benchmarks) whose addresses must be known before
 * their servers start: Raft peers, a coreapp launched as a process, a database server.
 *
 * <p>A port found with {@code new ServerSocket(0)} comes from the kernel's ephemeral range, which
 * is also where every outgoing connection takes its source port: between the probe and the real
 * bind, one of the many gRPC or JDBC connections a test opens can take it ("Failed to bind"). This
 * allocator hands out ports below that range, which only an explicit bind can take. Each JVM starts
 * at a random point and walks forward, so the ports it hands out are distinct from each other and
 * unlikely to meet another JVM's; a port something already listens on is skipped.
 */
public final class LoopbackPorts {
  /** The lowest port handed out: clear of the well-known and most registered services. */
  static final int LOWEST = 15000;

  /** Linux's default first ephemeral port, used when the range cannot be read. */
  static final int DEFAULT_EPHEMERAL_LOW = 32768;

  private static final LoopbackPorts SHARED =
      new LoopbackPorts(
          LOWEST,
          ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range")),
          ThreadLocalRandom.current().nextInt(1 << 20));

  private final int low;
  private final int size;
  private final AtomicInteger cursor;

  /** Ports in {@code [low, high)}, starting {@code start} places into the range (mod its size). */
  LoopbackPorts(int low, int high, int start) {
    if (high <= low) {
      throw new IllegalArgumentException("empty port range [" + low + ", " + high + ")");
    }
    this.low = low;
    this.size = high - low;
    this.cursor = new AtomicInteger(Math.floorMod(start, size));
  }

  /** A loopback port no one listens on and this JVM has not handed out before. */
  public static int next() {
    return SHARED.take();
  }

  int take() {
    for (int tried = 0; tried < size; tried++) {
      int port = low + Math.floorMod(cursor.getAndIncrement(), size);
      if (isFree(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port in [" + low + ", " + (low + size) + ")");
  }

  /** Whether nothing listens on loopback {@code port} now (a bind to it succeeds). */
  public static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The first ephemeral port, from {@code ip_local_port_range} ("32768\t60999"); the Linux default
   * when the file is missing or unreadable, or when it leaves fewer than 1000 ports above {@link
   * #LOWEST}. In that last case the ports handed out lie inside the ephemeral range, and a clash
   * with an outgoing connection is possible again, only rarer.
   */
  static int ephemeralLow(Path rangeFile) {
    try {
      return ephemeralLow(Files.readString(rangeFile));
    } catch (IOException | UncheckedIOException e) {
      return DEFAULT_EPHEMERAL_LOW;
    }
  }

  static int ephemeralLow(String range) {
    String[] parts = range.trim().split("\\s+");
    try {
      int first = Integer.parseInt(parts[0]);
      return first >= LOWEST + 1000 ? first : DEFAULT_EPHEMERAL_LOW;
    } catch (NumberFormatException e) {
      return DEFAULT_EPHEMERAL_LOW;
    }
  }
}
