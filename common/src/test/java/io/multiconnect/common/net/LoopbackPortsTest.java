package io.multiconnect.common.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoopbackPortsTest {
  @TempDir Path dir;

  @Test
  void handsOutDistinctPortsBelowTheEphemeralRange() {
    int ephemeralLow =
        LoopbackPorts.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = LoopbackPorts.next();
      assertTrue(port >= LoopbackPorts.LOWEST && port < ephemeralLow, "port " + port);
      assertTrue(seen.add(port), "handed out twice: " + port);
    }
  }

  @Test
  void walksForwardFromItsStartAndWrapsAround() {
    int low = LoopbackPorts.next();
    LoopbackPorts ports = new LoopbackPorts(low, low + 1, 7);
    assertEquals(low, ports.take());
    assertEquals(low, ports.take(), "a range of one port wraps around to it");
  }

  @Test
  void skipsAPortSomeoneListensOn() throws Exception {
    int held = LoopbackPorts.next();
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), held));
      LoopbackPorts ports = new LoopbackPorts(held, held + 1, 0);
      IllegalStateException e = assertThrows(IllegalStateException.class, ports::take);
      assertEquals("no free loopback port in [" + held + ", " + (held + 1) + ")", e.getMessage());
    }
  }

  @Test
  void readsTheFirstEphemeralPortAndFallsBackToTheLinuxDefault() {
    assertEquals(40000, LoopbackPorts.ephemeralLow("40000\t60999\n"));
    assertEquals(32768, LoopbackPorts.ephemeralLow("1024 65535"), "too low to leave room below");
    assertEquals(32768, LoopbackPorts.ephemeralLow("garbage"));
    assertEquals(32768, LoopbackPorts.ephemeralLow(dir.resolve("absent")));
  }

  @Test
  void refusesAnEmptyRange() {
    assertThrows(IllegalArgumentException.class, () -> new LoopbackPorts(20000, 20000, 0));
  }
}
