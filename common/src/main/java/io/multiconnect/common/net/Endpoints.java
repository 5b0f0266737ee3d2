package io.multiconnect.common.net;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Parsing of host:port lists, and the channels and servers of every node and client: mutual TLS
 * with the node's certificate ({@link NodeTls}; plaintext only when chosen by name), the same
 * keepalive everywhere.
 */
public final class Endpoints {
  private Endpoints() {}

  /** The most calls one connection may have open at a server at once. */
  public static final int MAX_CALLS_PER_CONNECTION = 1024;

  private static final boolean EPOLL = Epoll.isAvailable();

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
    list.forEach(a -> HostPort.parse(key, a));
    return list;
  }

  /** The port of {@code hostPort}; throws {@link IllegalArgumentException} naming {@code key}. */
  public static int port(String key, String hostPort) {
    return HostPort.parse(key, hostPort).port();
  }

  /** The host of {@code hostPort}, which must be well-formed. */
  public static String host(String hostPort) {
    return hostPort.substring(0, hostPort.lastIndexOf(':'));
  }

  /**
   * A channel to {@code host:port} that connects only to a server {@code expected} accepts; throws
   * {@link IllegalArgumentException} if malformed.
   */
  public static ManagedChannel channel(String hostPort, NodeTls tls, PeerCheck expected) {
    return builder(hostPort, tls, expected).build();
  }

  /**
   * Like {@link #channel}, but {@link ManagedChannel#shutdownNow} resets its connection (SO_LINGER
   * 0): the kernel drops what the peer has not yet acknowledged instead of retransmitting it, so
   * nothing written to the channel reaches the peer later than the packets already on their way. A
   * deadline or a cancelled call does not do that: it abandons the call, not its bytes. Its
   * connection runs on {@code loop} (a {@link #transportThread}). Its calls are never retried by
   * gRPC itself: a replayed message would skip the caller's checks (and a retriable stream keeps
   * every message it sent until the server's headers come).
   */
  public static ManagedChannel abortableChannel(
      String hostPort, NodeTls tls, PeerCheck expected, EventLoopGroup loop) {
    return builder(hostPort, tls, expected)
        .withOption(ChannelOption.SO_LINGER, 0)
        .eventLoopGroup(loop)
        .channelType(EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
        .disableRetry()
        .build();
  }

  /**
   * A transport thread of one's own for {@link #abortableChannel}s (the caller shuts it down after
   * them): work scheduled on it runs on the thread their connections run on, so what it writes to
   * them is queued and written there, without a hand-off that wakes another thread. Epoll where the
   * platform has it, as gRPC's own transport threads.
   */
  public static EventLoopGroup transportThread(String name) {
    return new MultiThreadIoEventLoopGroup(
        1,
        DaemonThreads.named(name),
        EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
  }

  private static NettyChannelBuilder builder(String hostPort, NodeTls tls, PeerCheck expected) {
    HostPort to = HostPort.parse("address", hostPort);
    return NettyChannelBuilder.forAddress(to.host(), to.port(), tls.channelCredentials(expected))
        // grpc-java's shortest keepalive (it raises anything shorter): a dead peer is noticed
        // 10-11 s after it stops answering. Calls that must notice sooner have deadlines
        // (heartbeats) or expect progress (Watch). Every server permits it (see server).
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(1, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true);
  }

  /**
   * A server builder bound to {@code host:port} that lets clients ping as often as {@link #channel}
   * does: the default policy (one ping per 5 minutes) answers faster pings with GOAWAY, failing the
   * calls in flight.
   */
  public static NettyServerBuilder server(String host, int port, NodeTls tls) {
    return NettyServerBuilder.forAddress(new InetSocketAddress(host, port), tls.serverCredentials())
        // A node restarted at once binds its port again although connections of its previous
        // process linger in TIME_WAIT.
        .withOption(ChannelOption.SO_REUSEADDR, true)
        // HTTP/2's MAX_CONCURRENT_STREAMS: a peer opens no more calls than this on one connection
        // (more wait at the client), so a misbehaving one cannot make a node hold calls without
        // bound. A webapp's sends to a coreapp at full load stay well below it (batches).
        .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
        .permitKeepAliveTime(500, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true);
  }

  /** Shuts {@code channels} down at once and waits up to 2 s for each to terminate. */
  public static void shutdown(Collection<ManagedChannel> channels) {
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
