package io.multiconnect.chaos.run;

import io.multiconnect.lab.Cmd;
import io.multiconnect.lab.Network;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One network namespace per node, each with a veth into a bridge that lives in a namespace of its
 * own; {@code nft} rules on that bridge drop packets between chosen nodes. Addresses are {@code
 * 10.77.0.x/24}; no namespace has a default route, which {@link #add} checks with {@code ip route
 * get} before any process starts, so no lab packet can leave the machine. The harness itself runs
 * inside the namespace named {@code client} (made by {@code tools/chaos/run}), attached like any
 * node.
 */
final class NetnsNetwork implements Network {
  private static final Logger LOG = LoggerFactory.getLogger(NetnsNetwork.class);
  private static final String TABLE = "chaos";

  private final String prefix;
  private final String bridgeNs;
  private final Map<String, String> namespaces = new LinkedHashMap<>(); // node -> netns
  private final Map<String, String> addresses = new LinkedHashMap<>();
  private final List<String> made = new ArrayList<>();

  /**
   * @param prefix unique to this run: every namespace made is named {@code prefix-*}
   * @param clientNs the namespace the harness runs in (already made by the caller)
   */
  NetnsNetwork(String prefix, String clientNs) throws IOException {
    this.prefix = prefix;
    this.bridgeNs = prefix + "-br";
    Cmd.run("ip", "netns", "add", bridgeNs);
    made.add(bridgeNs);
    Cmd.run("ip", "-n", bridgeNs, "link", "set", "lo", "up");
    Cmd.run("ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge");
    Cmd.run("ip", "-n", bridgeNs, "link", "set", "br0", "up");
    Cmd.run(
        List.of("ip", "netns", "exec", bridgeNs, "nft", "-f", "-"),
        "table bridge "
            + TABLE
            + " {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n"
            + "  }\n}\n");
    attach("client", clientNs);
  }

  @Override
  public void add(String node) throws IOException {
    String ns = prefix + "-" + node;
    Cmd.run("ip", "netns", "add", ns);
    made.add(ns);
    attach(node, ns);
  }

  private void attach(String node, String ns) throws IOException {
    String address = "10.77.0." + (10 + addresses.size());
    String port = "p" + addresses.size(); // the bridge-side end, named per node
    Cmd.run("ip", "-n", ns, "link", "set", "lo", "up");
    Cmd.run(
        "ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns",
        bridgeNs);
    Cmd.run("ip", "-n", bridgeNs, "link", "set", port, "master", "br0", "up");
    Cmd.run("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
    Cmd.run("ip", "-n", ns, "link", "set", "eth0", "up");
    // Nothing may leave the machine: no route but the lab's own /24.
    if (Cmd.quietly("ip", "-n", ns, "route", "get", "1.1.1.1")) {
      throw new IOException("namespace " + ns + " has a route out of the lab: refusing to run");
    }
    namespaces.put(node, ns);
    addresses.put(node, address);
  }

  @Override
  public String host(String node) {
    return addresses.get(node);
  }

  @Override
  public String clientHost(String node) {
    return host(node);
  }

  @Override
  public String harnessHost() {
    return addresses.get("client");
  }

  @Override
  public String bindAddress(String node) {
    return host(node);
  }

  @Override
  public boolean ownAddresses() {
    return true;
  }

  @Override
  public void expose(String node, int port) {}

  @Override
  public List<String> wrap(String node, List<String> command) {
    List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", namespaces.get(node)));
    out.addAll(command);
    return out;
  }

  @Override
  public void cut(String from, String to) throws IOException {
    rule("ip saddr " + host(from) + " ip daddr " + host(to) + " drop");
  }

  @Override
  public void loss(String node, int percent) throws IOException {
    rule("ip saddr " + host(node) + " numgen random mod 100 < " + percent + " drop");
    rule("ip daddr " + host(node) + " numgen random mod 100 < " + percent + " drop");
  }

  private void rule(String rule) throws IOException {
    Cmd.run(
        List.of("ip", "netns", "exec", bridgeNs, "nft", "-f", "-"),
        "add rule bridge " + TABLE + " forward " + rule + "\n");
  }

  @Override
  public void heal() throws IOException {
    Cmd.run("ip", "netns", "exec", bridgeNs, "nft", "flush", "chain", "bridge", TABLE, "forward");
  }

  @Override
  public void close() {
    for (int i = made.size() - 1; i >= 0; i--) {
      String ns = made.get(i);
      if (!Cmd.quietly("ip", "netns", "del", ns)) {
        LOG.warn("could not remove network namespace {}", ns);
      }
    }
    made.clear();
  }
}
