package io.multiconnect.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SignatureException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** The CA's certificates: what they say, and that TLS peers accept exactly the CA's own. */
class ClusterCaTest {
  private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
  private static final NodeIdentity M1 = new NodeIdentity(Role.MASTER, "m1");
  private static final NodeIdentity C1 = new NodeIdentity(Role.COREAPP, "c1");

  private final ClusterCa ca = ClusterCa.create("test", NOW, Duration.ofDays(3650));

  @Test
  void aNodeCertificateNamesItsIdentityAndHostsAndIsSignedByTheCa() throws Exception {
    ClusterCa.Issued c1 =
        ca.issue(C1, List.of("c1.lab", "10.77.0.14", "::1"), NOW, Duration.ofDays(365));
    X509Certificate cert = c1.certificate();
    cert.verify(ca.certificate().getPublicKey());
    assertEquals(Optional.of(C1), NodeIdentity.of(cert));
    assertEquals(-1, cert.getBasicConstraints(), "not a CA");
    assertEquals(
        List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"),
        cert.getExtendedKeyUsage(),
        "serves and dials TLS");
    List<String> names =
        cert.getSubjectAlternativeNames().stream().map(n -> n.get(1).toString()).toList();
    assertTrue(names.containsAll(List.of("c1.lab", "10.77.0.14")), names.toString());
    assertEquals(NOW.plus(Duration.ofDays(365)), cert.getNotAfter().toInstant());
    assertEquals(0, ca.certificate().getBasicConstraints(), "the CA signs node certificates only");

    ClusterCa other = ClusterCa.create("other", NOW, Duration.ofDays(10));
    assertThrows(SignatureException.class, () -> cert.verify(other.certificate().getPublicKey()));
  }

  @Test
  void badInputIsRefusedWithTheFieldNamed() {
    IllegalArgumentException host =
        assertThrows(
            IllegalArgumentException.class,
            () -> ca.issue(C1, List.of("bad host"), NOW, Duration.ofDays(1)));
    assertTrue(host.getMessage().startsWith("host:"), host.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> ca.issue(C1, List.of(), NOW, Duration.ofDays(1)));
    IllegalArgumentException outlives =
        assertThrows(
            IllegalArgumentException.class,
            () -> ca.issue(C1, List.of("c1"), NOW, Duration.ofDays(4000)));
    assertTrue(outlives.getMessage().contains("outlive the CA"), outlives.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new NodeIdentity(Role.COREAPP, "c1/x"));
    assertThrows(IllegalArgumentException.class, () -> new NodeIdentity(Role.COREAPP, ""));
    assertThrows(IllegalArgumentException.class, () -> Role.parse("root"));
  }

  @Test
  void identitiesRoundTripThroughTheirUriAndForeignUrisNameNobody() {
    assertEquals("spiffe://multiconnect/coreapp/c1", C1.uri());
    assertEquals(Optional.of(C1), NodeIdentity.fromUri(C1.uri()));
    assertEquals(Optional.empty(), NodeIdentity.fromUri("spiffe://other/coreapp/c1"));
    assertEquals(Optional.empty(), NodeIdentity.fromUri("spiffe://multiconnect/root/c1"));
    assertEquals(Optional.empty(), NodeIdentity.fromUri("spiffe://multiconnect/coreapp/c1/x"));
    assertEquals(Optional.empty(), NodeIdentity.of(ca.certificate()), "the CA is no node");
  }

  /**
   * A real mutual-TLS handshake on loopback: a master serves, a coreapp dials; each sees the
   * other's identity. A client with a certificate of another CA, or with none, is refused.
   */
  @Test
  void mutualTlsAcceptsCertificatesOfTheCaAndRefusesOthers() throws Exception {
    ClusterCa.Issued m1 = ca.issue(M1, List.of("127.0.0.1"), NOW, Duration.ofDays(30));
    ClusterCa.Issued c1 = ca.issue(C1, List.of("127.0.0.1"), NOW, Duration.ofDays(30));
    ClusterCa rogue = ClusterCa.create("rogue", NOW, Duration.ofDays(30));
    ClusterCa.Issued forged = rogue.issue(C1, List.of("127.0.0.1"), NOW, Duration.ofDays(30));

    SSLContext server = context(Optional.of(m1), List.of(ca.certificate()));
    assertEquals(
        Optional.of(C1),
        handshake(server, context(Optional.of(c1), List.of(ca.certificate()))),
        "the server sees the coreapp's identity");
    assertFalse(
        handshake(server, context(Optional.of(forged), List.of(ca.certificate()))).isPresent(),
        "a certificate of another CA with the same identity is refused");
    assertFalse(
        handshake(server, context(Optional.empty(), List.of(ca.certificate()))).isPresent(),
        "no client certificate: refused");

    // A rotation's first step: the server trusts both CAs, so nodes of either get in.
    SSLContext both = context(Optional.of(m1), List.of(ca.certificate(), rogue.certificate()));
    assertEquals(
        Optional.of(C1), handshake(both, context(Optional.of(forged), List.of(ca.certificate()))));
  }

  private static SSLContext context(Optional<ClusterCa.Issued> own, List<X509Certificate> trust)
      throws GeneralSecurityException, IOException {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    if (own.isPresent()) {
      keys.setKeyEntry(
          "node", own.get().key(), new char[0], new Certificate[] {own.get().certificate()});
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    for (int i = 0; i < trust.size(); i++) {
      trusted.setCertificateEntry("ca" + i, trust.get(i));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext c = SSLContext.getInstance("TLSv1.3");
    c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return c;
  }

  /** The client's identity as the server saw it, or empty when the handshake failed. */
  private static Optional<NodeIdentity> handshake(SSLContext server, SSLContext client)
      throws Exception {
    try (SSLServerSocket listener =
        (SSLServerSocket)
            server
                .getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      listener.setSoTimeout(5_000);
      CompletableFuture<Optional<NodeIdentity>> seen =
          CompletableFuture.supplyAsync(
              () -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                  s.startHandshake();
                  InputStream in = s.getInputStream();
                  in.read();
                  return NodeIdentity.of((X509Certificate) s.getSession().getPeerCertificates()[0]);
                } catch (IOException e) {
                  return Optional.empty();
                }
              });
      try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket()) {
        s.setSoTimeout(5_000);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
        s.startHandshake();
        OutputStream out = s.getOutputStream();
        out.write(1);
        out.flush();
      } catch (SSLException | java.net.SocketException refused) {
        // the server refused it: it reports so below
      }
      return seen.get(10, TimeUnit.SECONDS);
    }
  }
}
