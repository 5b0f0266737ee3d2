package io.multiconnect.chaos.run;

import java.util.List;

/**
 * Every process on 127.0.0.1 with its own ports: for machines without network namespaces. Only
 * process, database and admin faults apply; the schedule leaves out network faults.
 */
final class LoopbackNetwork implements Network {
  @Override
  public void add(String node) {}

  @Override
  public String host(String node) {
    return "127.0.0.1";
  }

  @Override
  public List<String> wrap(String node, List<String> command) {
    return command;
  }

  @Override
  public boolean faults() {
    return false;
  }

  @Override
  public void cut(String from, String to) {
    throw new UnsupportedOperationException("loopback mode has no network faults");
  }

  @Override
  public void loss(String node, int percent) {
    throw new UnsupportedOperationException("loopback mode has no network faults");
  }

  @Override
  public void heal() {}

  @Override
  public void close() {}
}
