package io.multiconnect.common.net;

/** A {@code host:port} address, checked: a host before the last colon, a port from 1 to 65535. */
public record HostPort(String host, int port) {

  /** Parses {@code host:port}; throws {@link IllegalArgumentException} naming {@code key}. */
  public static HostPort parse(String key, String hostPort) {
    int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
    try {
      int p = colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : 0;
      if (p > 0 && p < 65536) {
        return new HostPort(hostPort.substring(0, colon), p);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(key + ": '" + hostPort + "' is not host:port");
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
