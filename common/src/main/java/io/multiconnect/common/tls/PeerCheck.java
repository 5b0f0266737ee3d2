package io.multiconnect.common.tls;

import io.multiconnect.common.tls.NodeIdentity.Role;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Who a client expects to reach: a role (a master, a coreapp, the upstream) and maybe one id. TLS
 * checks that the server's certificate is the CA's and names the host dialed; this checks, in the
 * same handshake, that it is also the kind of node the client meant, so that no other certificate
 * of the CA that names a shared host can pose as a master or as another coreapp. A server that is
 * another node fails the handshake before any request is sent ({@code UNAVAILABLE}, its cause
 * naming both). Nothing to check with TLS off.
 */
public record PeerCheck(Set<Role> roles, Optional<String> id) {

  public PeerCheck {
    roles = Set.copyOf(roles);
  }

  /** Any node of these roles. */
  public static PeerCheck role(Role first, Role... more) {
    return new PeerCheck(EnumSet.of(first, more), Optional.empty());
  }

  /** Any node of the cluster: for tools and tests that reach several kinds. */
  public static PeerCheck anyNode() {
    return new PeerCheck(EnumSet.allOf(Role.class), Optional.empty());
  }

  /** Exactly this node. */
  public static PeerCheck node(Role role, String id) {
    return new PeerCheck(EnumSet.of(role), Optional.of(id));
  }

  /** Whether {@code peer} is a node this check expects. */
  boolean accepts(NodeIdentity peer) {
    return roles.contains(peer.role()) && id.map(peer.id()::equals).orElse(true);
  }

  @Override
  public String toString() {
    return id.map(i -> roles.iterator().next().label() + "/" + i).orElse("a node of " + roles);
  }

  /** {@code trust}, and then this check on the server's certificate. */
  X509ExtendedTrustManager on(X509ExtendedTrustManager trust) {
    return wrap(trust, false);
  }

  /**
   * {@code trust}, and then this check on the peer's certificate in both directions: the server's
   * when this node dials, the client's when it serves (for a port only these nodes may reach).
   */
  X509ExtendedTrustManager onBothSides(X509ExtendedTrustManager trust) {
    return wrap(trust, true);
  }

  private X509ExtendedTrustManager wrap(X509ExtendedTrustManager trust, boolean clients) {
    PeerCheck expected = this;
    return new X509ExtendedTrustManager() {
      private void expectClient(X509Certificate[] chain) throws CertificateException {
        if (clients) {
          expect(chain);
        }
      }

      private void expect(X509Certificate[] chain) throws CertificateException {
        Optional<NodeIdentity> peer =
            chain == null || chain.length == 0 ? Optional.empty() : NodeIdentity.of(chain[0]);
        if (peer.isEmpty() || !expected.accepts(peer.get())) {
          throw new CertificateException(
              (clients ? "a peer is " : "reached ")
                  + peer.map(NodeIdentity::toString).orElse("no cluster node")
                  + ", expected "
                  + expected);
        }
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        trust.checkServerTrusted(chain, authType, engine);
        expect(chain);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        trust.checkServerTrusted(chain, authType, socket);
        expect(chain);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        trust.checkServerTrusted(chain, authType);
        expect(chain);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        trust.checkClientTrusted(chain, authType, engine);
        expectClient(chain);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        trust.checkClientTrusted(chain, authType, socket);
        expectClient(chain);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        trust.checkClientTrusted(chain, authType);
        expectClient(chain);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return trust.getAcceptedIssuers();
      }
    };
  }
}
