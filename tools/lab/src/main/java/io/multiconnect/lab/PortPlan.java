package io.multiconnect.lab;

import io.multiconnect.common.net.LoopbackPorts;

/**
 * Which port each service of a lab node listens on. Services: {@code raft} and {@code api}
 * (masters), {@code grpc} (coreapps, the upstream simulator), {@code http} (webapps), {@code sql}
 * (the database).
 */
@FunctionalInterface
public interface PortPlan {

  int port(String node, String service);

  /** The same port per service on every node: for networks where each node has an address. */
  static PortPlan conventional() {
    return (node, service) ->
        switch (service) {
          case "raft" -> 9871;
          case "api" -> 9881;
          case "grpc" -> node.equals(Lab.UPSTREAM) ? 9800 : 9891;
          case "http" -> 9090;
          case "sql" -> 3306;
          default -> throw new IllegalArgumentException("unknown service " + service);
        };
  }

  /** A free loopback port for every service (tests, the chaos harness, the benchmarks). */
  static PortPlan free() {
    return (node, service) -> LoopbackPorts.next();
  }

  /**
   * Ports an operator can predict, from {@code base}: master {@code mi} on {@code base+i} (Raft)
   * and {@code base+10+i} (API), the upstream simulator on {@code base+30}, the database on {@code
   * base+31}, coreapp {@code ci} on {@code base+40+i}, webapp {@code wi} on {@code http+i-1}.
   */
  static PortPlan fromBase(int base, int http) {
    return (node, service) ->
        switch (service) {
          case "raft" -> base + Lab.index(node);
          case "api" -> base + 10 + Lab.index(node);
          case "grpc" -> node.equals(Lab.UPSTREAM) ? base + 30 : base + 40 + Lab.index(node);
          case "sql" -> base + 31;
          case "http" -> http + Lab.index(node) - 1;
          default -> throw new IllegalArgumentException("unknown service " + service);
        };
  }
}
