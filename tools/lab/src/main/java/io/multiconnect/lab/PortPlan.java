package io.multiconnect.lab;

import io.multiconnect.common.net.LoopbackPorts;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

/**
 * Which port each service of a lab node listens on. Services: {@code raft} and {@code api}
 * (masters), {@code grpc} (coreapps, the upstream simulator), {@code http} (webapps), {@code sql}
 * (the database), {@code metrics} (masters and coreapps; webapps answer on {@code http}).
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
          case "metrics" -> 9464;
          default -> throw new IllegalArgumentException("unknown service " + service);
        };
  }

  /** A free loopback port for every service (tests, the chaos harness, the benchmarks). */
  static PortPlan free() {
    return (node, service) -> LoopbackPorts.next();
  }

  /**
   * Ports an operator can predict, from {@code base}: master {@code mi} on {@code base+i} (Raft),
   * {@code base+10+i} (API) and {@code base+20+i} (metrics), the upstream simulator on {@code
   * base+30}, the database on {@code base+31}, coreapp {@code ci} on {@code base+40+i} and {@code
   * base+100+i} (metrics), webapp {@code wi} on {@code http+i-1}.
   */
  static PortPlan fromBase(int base, int http) {
    return (node, service) ->
        switch (service) {
          case "raft" -> base + Lab.index(node);
          case "api" -> base + 10 + Lab.index(node);
          case "grpc" -> node.equals(Lab.UPSTREAM) ? base + 30 : base + 40 + Lab.index(node);
          case "sql" -> base + 31;
          case "http" -> http + Lab.index(node) - 1;
          case "metrics" ->
              switch (node.charAt(0)) {
                    case 'm' -> base + 20;
                    case 'c' -> base + 100;
                    default -> base + 200; // a chaos twin
                  }
                  + Lab.index(node);
          default -> throw new IllegalArgumentException("unknown service " + service);
        };
  }

  /**
   * A base for {@link #fromBase} whose whole layout ({@code base+1} to {@code base+202}) is free on
   * loopback now, below the ephemeral range: for a demo a test starts as a process.
   */
  static int freeBase() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 30_000);
      if (IntStream.rangeClosed(base + 1, base + 202).allMatch(LoopbackPorts::isFree)) {
        return base;
      }
    }
    throw new IllegalStateException("no free range of 202 loopback ports");
  }
}
