package io.multiconnect.master.config;

import io.multiconnect.common.net.HostPort;
import io.multiconnect.master.core.Master;

/**
 * One master: its id, host, the port of its Raft (Ratis gRPC) server and the port of its API
 * (ControlPlane and Admin gRPC) server. Written {@code id:host:raftPort:apiPort}.
 */
public record PeerAddress(String id, String host, int raftPort, int apiPort) {

  public static PeerAddress parse(String spec) {
    String[] parts = spec.trim().split(":");
    if (parts.length != 4 || parts[0].isBlank() || parts[1].isBlank()) {
      throw new ConfigException(
          "peers", "each peer must be id:host:raftPort:apiPort, got '" + spec.trim() + "'");
    }
    return new PeerAddress(parts[0], parts[1], port(parts[2], spec), port(parts[3], spec));
  }

  /**
   * A master added at run time, from the replicated directory (whose addresses were checked when
   * the master was added).
   */
  public static PeerAddress of(Master m) {
    HostPort raft = HostPort.parse("raft_address", m.raftAddress());
    HostPort api = HostPort.parse("api_address", m.apiAddress());
    return new PeerAddress(m.id(), raft.host(), raft.port(), api.port());
  }

  private static int port(String s, String spec) {
    try {
      int p = Integer.parseInt(s);
      if (p > 0 && p < 65536) {
        return p;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new ConfigException("peers", "bad port '" + s + "' in '" + spec.trim() + "'");
  }

  public String raftAddress() {
    return host + ":" + raftPort;
  }

  public String apiAddress() {
    return host + ":" + apiPort;
  }

  @Override
  public String toString() {
    return id + ":" + host + ":" + raftPort + ":" + apiPort;
  }
}
