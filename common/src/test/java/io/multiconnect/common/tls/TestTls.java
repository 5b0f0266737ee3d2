package io.multiconnect.common.tls;

/**
 * The in-process tests' transport: plaintext on loopback, chosen by name (it logs so once per JVM).
 * TLS itself is tested where certificates can be made: tools/ca and the lab's tests.
 */
public final class TestTls {
  public static final NodeTls PLAINTEXT = NodeTls.plaintext("in-process tests");

  private TestTls() {}
}
