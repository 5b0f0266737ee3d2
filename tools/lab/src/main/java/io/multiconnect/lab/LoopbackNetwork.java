package io.multiconnect.lab;

import java.util.ArrayList;
import java.util.List;

/**
 * Every process on 127.0.0.1, connected directly, with no way to cut a link: the network of the
 * benchmarks, where a proxy in every connection would be measured too. Process faults (kill, pause)
 * still work; {@link #cut} and {@link #loss} refuse.
 */
public final class LoopbackNetwork implements Network {
  private static final String LOOPBACK = "127.0.0.1";

  private final boolean ownSessions;

  /** Processes stay in the launcher's session and process group. */
  public LoopbackNetwork() {
    this(false);
  }

  private LoopbackNetwork(boolean ownSessions) {
    this.ownSessions = ownSessions;
  }

  /**
   * Every process in a session of its own ({@code setsid}, which keeps the pid: the lab's child is
   * no process group leader): a Ctrl-C at the terminal then reaches only the launcher, which stops
   * the nodes in order, coreapps before the masters that take their releases.
   */
  public static LoopbackNetwork ownSessions() {
    return new LoopbackNetwork(true);
  }

  @Override
  public void add(String node) {}

  @Override
  public String host(String node) {
    return LOOPBACK;
  }

  @Override
  public String clientHost(String node) {
    return LOOPBACK;
  }

  @Override
  public String bindAddress(String node) {
    return LOOPBACK;
  }

  @Override
  public boolean ownAddresses() {
    return false;
  }

  @Override
  public void expose(String node, int port) {}

  @Override
  public List<String> wrap(String node, List<String> command) {
    if (!ownSessions) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of("setsid"));
    wrapped.addAll(command);
    return wrapped;
  }

  @Override
  public void cut(String from, String to) {
    throw new UnsupportedOperationException("the loopback network cannot cut links");
  }

  @Override
  public void loss(String node, int percent) {
    throw new UnsupportedOperationException("the loopback network cannot drop packets");
  }

  @Override
  public void heal() {}

  @Override
  public void close() {}
}
