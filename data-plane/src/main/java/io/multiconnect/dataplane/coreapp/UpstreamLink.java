package io.multiconnect.dataplane.coreapp;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A coreapp's connections to the upstream. Each upstream session gets a connection of its own, a
 * {@link Window}: the session is opened, kept alive and sent on through it, and it is reset the
 * moment the coreapp stops acting on that session. A deadline abandons a call but leaves its bytes
 * in the socket, and under packet loss TCP retransmits them for seconds: an open or a keep-alive
 * written just before the acting deadline could reach the upstream after another coreapp's session
 * began, which the real server punishes with a ban (docs/safety.md, assumption 5). A reset
 * connection retransmits nothing.
 *
 * <p>Closes go over a connection of their own, kept for the process's life: a close must still
 * travel after its session's window ended, and one that arrives late harms nobody.
 */
final class UpstreamLink implements AutoCloseable {
  private final String address;
  private final NodeTls tls;
  private final ManagedChannel closes;
  private final EventLoopGroup windows = Endpoints.transportThread("upstream-windows");

  UpstreamLink(String address, NodeTls tls) {
    this.address = address;
    this.tls = tls;
    this.closes = Endpoints.channel(address, tls, upstream());
  }

  private static PeerCheck upstream() {
    return PeerCheck.role(NodeIdentity.Role.UPSTREAM);
  }

  /** A new connection for one session; it connects when the session is opened. */
  Window window() {
    return new Window(Endpoints.abortableChannel(address, tls, upstream(), windows));
  }

  /**
   * The one thread every window's connection runs on. A keep-alive made here is queued and written
   * by the thread that made it: one wake-up of one thread, where one made elsewhere wakes its maker
   * and then this thread (twice, an {@code eventfd} write each), and each wake-up of an idle
   * process costs CPU.
   */
  ScheduledExecutorService windowThread() {
    return windows.next();
  }

  /** The connection closes go over. */
  Channel closes() {
    return closes;
  }

  @Override
  public void close() {
    Endpoints.shutdown(List.of(closes));
    windows.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One session's connection. */
  static final class Window {
    private final ManagedChannel channel;

    Window(ManagedChannel channel) {
      this.channel = channel;
    }

    Channel channel() {
      return channel;
    }

    /**
     * Resets the connection at once: the kernel forgets what the upstream has not acknowledged, so
     * nothing written to it arrives later than the packets already on the wire.
     */
    void end() {
      channel.shutdownNow();
    }
  }
}
