package io.multiconnect.chaos.run;

import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.lab.Network;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network faults without namespaces or root: every process runs on loopback and reaches every other
 * through a TCP proxy of its own pair.
 *
 * <p>Nodes know each other by name ({@code m1.lab}), and each JVM resolves names from a hosts file
 * of its own ({@code -Djdk.net.hosts.file}, which also means nothing outside the lab resolves): in
 * the file of node S, node D is {@code 127.0.s.d}, where s and d are the nodes' numbers, and a
 * node's own name is {@code 127.0.0.1}, where every real listener is bound. For each of D's ports a
 * proxy listens on {@code 127.0.s.d:port} for each S and forwards to {@code 127.0.0.1:port}. Raft
 * configurations, registered coreapp addresses and JDBC URLs hold names, so a connection passes the
 * proxy of its actual source and destination whoever spread the address. The harness is the source
 * {@code client} and dials {@code 127.0.c.d} directly ({@link #clientHost}).
 *
 * <p>{@link #cut} stalls the bytes from one node to another, in the connections either side opened;
 * {@link #heal} lets them through. {@link #loss} holds chunks back at random (see {@link Links}).
 * Every listener is on 127.0.0.0/8: no lab byte leaves the machine.
 */
final class ProxyNetwork implements Network {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyNetwork.class);
  private static final String CLIENT = "client";

  private final Path dir;
  private final Optional<Path> clientHostsFile;
  private final List<String> nodes = new ArrayList<>(List.of(CLIENT));
  private final Links links;
  private final Selector selector;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final List<ServerSocketChannel> servers = new CopyOnWriteArrayList<>();
  private final Thread acceptor;
  private volatile boolean closed;

  /** A proxy's source, destination and port. */
  private record Pair(String from, String to, int port) {}

  /**
   * @param clientHostsFile the hosts file the harness's own JVM reads, if it was started with one:
   *     filled in as nodes are added, so the harness resolves lab names (in leader hints) too
   */
  ProxyNetwork(Path dir, long seed, Optional<Path> clientHostsFile) throws IOException {
    this.dir = dir;
    this.clientHostsFile = clientHostsFile;
    this.links = new Links(seed);
    this.selector = Selector.open();
    this.acceptor = DaemonThreads.thread("proxy-accept", this::acceptLoop);
    acceptor.start();
  }

  @Override
  public void add(String node) throws IOException {
    nodes.add(node);
    if (clientHostsFile.isPresent()) {
      Files.writeString(clientHostsFile.get(), hosts(CLIENT));
    }
  }

  private String ip(String from, String to) {
    return "127.0." + (10 + nodes.indexOf(from)) + "." + (10 + nodes.indexOf(to));
  }

  @Override
  public String host(String node) {
    return node + ".lab";
  }

  @Override
  public String clientHost(String node) {
    return ip(CLIENT, node);
  }

  @Override
  public String bindAddress(String node) {
    return "127.0.0.1";
  }

  @Override
  public boolean ownAddresses() {
    return false;
  }

  /** Opens a proxy on {@code 127.0.s.d:port} for every other node (and the harness). */
  @Override
  public void expose(String node, int port) throws IOException {
    for (String from : nodes) {
      if (from.equals(node)) {
        continue;
      }
      ServerSocketChannel server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(ip(from, node), port));
      server.configureBlocking(false);
      servers.add(server);
      server.register(selector, SelectionKey.OP_ACCEPT, new Pair(from, node, port));
      selector.wakeup();
    }
  }

  /** The hosts file of {@code node}: every lab name at the address of its pair's proxy. */
  private Path hostsFile(String node) throws IOException {
    Path file = dir.resolve("hosts-" + node);
    Files.writeString(file, hosts(node));
    return file;
  }

  private String hosts(String node) {
    StringBuilder b = new StringBuilder();
    for (String other : nodes) {
      if (!other.equals(CLIENT)) {
        b.append(other.equals(node) ? "127.0.0.1" : ip(node, other))
            .append(' ')
            .append(host(other))
            .append('\n');
      }
    }
    return b.toString();
  }

  @Override
  public List<String> wrap(String node, List<String> command) {
    if (!command.get(0).endsWith("java")) {
      return command;
    }
    List<String> out = new ArrayList<>(command);
    try {
      out.add(1, "-Djdk.net.hosts.file=" + hostsFile(node));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public void cut(String from, String to) {
    links.cut(from, to);
  }

  @Override
  public void loss(String node, int percent) {
    links.loss(node, percent);
  }

  @Override
  public void heal() {
    links.heal();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        selector.select(200);
        for (SelectionKey key : selector.selectedKeys()) {
          SocketChannel in = ((ServerSocketChannel) key.channel()).accept();
          if (in != null) {
            connect((Pair) key.attachment(), in.socket());
          }
        }
        selector.selectedKeys().clear();
      } catch (IOException | ClosedSelectorException e) {
        if (!closed) {
          LOG.warn("proxy accept: {}", e.toString());
        }
      }
    }
  }

  /** Connects an accepted socket to the real listener and pumps both ways. */
  private void connect(Pair pair, Socket in) {
    Thread t =
        DaemonThreads.thread(
            "proxy-" + pair.from() + "-" + pair.to(),
            () -> {
              try {
                in.getChannel().configureBlocking(true);
                Socket out = new Socket("127.0.0.1", pair.port());
                in.setTcpNoDelay(true);
                out.setTcpNoDelay(true);
                sockets.add(in);
                sockets.add(out);
                pump(in, out, pair.from(), pair.to());
                pump(out, in, pair.to(), pair.from());
              } catch (IOException e) {
                closeQuietly(in);
              }
            });
    t.start();
  }

  /** Copies {@code src} to {@code dst}, each chunk only when {@code from -> to} passes. */
  private void pump(Socket src, Socket dst, String from, String to) {
    Thread t =
        DaemonThreads.thread(
            "pump-" + from + "-" + to,
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream is = src.getInputStream()) {
                OutputStream os = dst.getOutputStream();
                int n;
                while ((n = is.read(buf)) >= 0) {
                  if (!links.pass(from, to)) {
                    break;
                  }
                  os.write(buf, 0, n);
                  os.flush();
                }
              } catch (IOException e) {
                // a side closed: close the other one too
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                closeQuietly(src);
                closeQuietly(dst);
              }
            });
    t.start();
  }

  private void closeQuietly(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    links.close();
    for (ServerSocketChannel s : servers) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    for (Socket s : List.copyOf(sockets)) {
      closeQuietly(s);
    }
    try {
      selector.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
