package io.multiconnect.dataplane;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Parsing of host:port lists and plaintext channels to them (loopback or a private network). */
public final class Endpoints {
  private Endpoints() {}

  /** Parses "h1:p1,h2:p2"; throws {@link IllegalArgumentException} naming {@code key}. */
  public static List<String> parseList(String key, String value) {
    List<String> list =
        Arrays.stream(value == null ? new String[0] : value.split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .toList();
    if (list.isEmpty()) {
      throw new IllegalArgumentException(key + ": at least one host:port is required");
    }
    list.forEach(a -> port(key, a));
    return list;
  }

  public static int port(String key, String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    try {
      int p = Integer.parseInt(hostPort.substring(colon + 1));
      if (colon > 0 && p > 0 && p < 65536) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(key + ": '" + hostPort + "' is not host:port");
  }

  public static String host(String hostPort) {
    return hostPort.substring(0, hostPort.lastIndexOf(':'));
  }

  public static ManagedChannel channel(String hostPort) {
    return NettyChannelBuilder.forAddress(host(hostPort), port("address", hostPort))
        .usePlaintext()
        // grpc-java's shortest keepalive (it raises anything shorter): a dead peer is noticed
        // 10-11 s after it stops answering. Calls that must notice sooner have deadlines
        // (heartbeats) or expect progress (Watch).
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(1, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .build();
  }

  public static void shutdown(List<ManagedChannel> channels) {
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
