package io.multiconnect.chaos.run;

import java.util.List;

/**
 * Every process on 127.0.0.1, connected directly, with no way to cut a link: the network of the
 * benchmarks, where a proxy in every connection would be measured too. Process faults (kill, pause)
 * still work; {@link #cut} and {@link #loss} refuse.
 */
public final class LoopbackNetwork implements Network {
  private static final String LOOPBACK = "127.0.0.1";

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
    return command;
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
