package io.multiconnect.common.tls;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import io.multiconnect.common.node.DaemonThreads;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node speaks to the others: mutual TLS with its certificate of the cluster CA, or, only when
 * asked for by name, plaintext. The key, the certificate and the trusted CAs are files read again
 * every {@link #REFRESH}, so a rotation (a CA bundle first, then new node certificates) needs no
 * restart: connections made after a file changed use the new one.
 *
 * <p>Servers require a client certificate of a trusted CA; clients check the server's certificate
 * and that it names the host they dialed. Who the peer is, and what it may call, is {@link
 * PeerIdentity}'s part.
 */
public final class NodeTls implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeTls.class);

  /** How often the files are read again. */
  public static final Duration REFRESH = Duration.ofSeconds(10);

  /** Environment: the node's certificate, its key, the trusted CAs (PEM files). */
  public static final String CERT = "MC_TLS_CERT";

  public static final String KEY = "MC_TLS_KEY";
  public static final String CA = "MC_TLS_CA";

  /** Environment: {@code plaintext} turns TLS off, for local experiments only. */
  public static final String MODE = "MC_TLS";

  /** The three files of a node. */
  public record Files(Path certificate, Path key, Path trustedCas) {}

  private final Optional<Files> files;
  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trust;
  private final ScheduledExecutorService reloader;
  private byte[] identityRead = new byte[0]; // guarded by this: the files last taken
  private byte[] trustRead = new byte[0]; // guarded by this

  private NodeTls(Optional<Files> files, Duration refresh) throws IOException {
    this.files = files;
    if (files.isEmpty()) {
      this.trust = null;
      this.reloader = null;
      return;
    }
    try {
      this.trust =
          AdvancedTlsX509TrustManager.newBuilder()
              .setVerification(
                  AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
              .build();
      load(files.get());
    } catch (GeneralSecurityException | IOException e) {
      Files f = files.get();
      throw new IOException(
          "TLS: cannot use "
              + f.certificate()
              + ", "
              + f.key()
              + " and "
              + f.trustedCas()
              + ": "
              + e.getMessage(),
          e);
    }
    this.reloader = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tls-reload"));
    reloader.scheduleWithFixedDelay(
        this::reload, refresh.toMillis(), refresh.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Reads the files and takes what changed: the key with its certificate only when they belong
   * together (a rotation that wrote one of them so far waits for the other), the CAs whole.
   */
  private synchronized void load(Files f) throws IOException, GeneralSecurityException {
    byte[] cert = java.nio.file.Files.readAllBytes(f.certificate());
    byte[] key = java.nio.file.Files.readAllBytes(f.key());
    byte[] both = concat(cert, key);
    if (!Arrays.equals(both, identityRead)) {
      X509Certificate[] chain =
          CertificateUtils.getX509Certificates(new ByteArrayInputStream(cert));
      PrivateKey privateKey = CertificateUtils.getPrivateKey(new ByteArrayInputStream(key));
      if (chain.length == 0) {
        throw new GeneralSecurityException(f.certificate() + " holds no certificate");
      }
      requirePair(privateKey, chain[0]);
      keys.updateIdentityCredentials(chain, privateKey);
      identityRead = both;
      LOG.info(
          "TLS: using {} ({}, until {})",
          f.certificate(),
          NodeIdentity.of(chain[0]).map(NodeIdentity::uri).orElse("no cluster identity"),
          chain[0].getNotAfter().toInstant());
    }
    byte[] cas = java.nio.file.Files.readAllBytes(f.trustedCas());
    if (!Arrays.equals(cas, trustRead)) {
      X509Certificate[] trusted =
          CertificateUtils.getX509Certificates(new ByteArrayInputStream(cas));
      trust.updateTrustCredentials(trusted);
      trustRead = cas;
      LOG.info("TLS: trusting {} CA certificate(s) of {}", trusted.length, f.trustedCas());
    }
  }

  private void reload() {
    try {
      load(files.orElseThrow());
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.warn(
          "TLS: the files changed but cannot be used yet, keeping the previous ones: {}",
          e.toString());
    }
  }

  /** Throws unless {@code key} is the private half of {@code cert}'s public key. */
  private static void requirePair(PrivateKey key, X509Certificate cert)
      throws GeneralSecurityException {
    String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    byte[] probe = "multiconnect key check".getBytes(StandardCharsets.US_ASCII);
    Signature sign = Signature.getInstance(algorithm);
    sign.initSign(key);
    sign.update(probe);
    byte[] signature = sign.sign();
    Signature verify = Signature.getInstance(algorithm);
    verify.initVerify(cert.getPublicKey());
    verify.update(probe);
    if (!verify.verify(signature)) {
      throw new GeneralSecurityException("the key does not belong to the certificate");
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Mutual TLS with these files, read again every {@code refresh}. */
  public static NodeTls of(Files files, Duration refresh) throws IOException {
    return new NodeTls(Optional.of(files), refresh);
  }

  /**
   * No TLS: every byte in the clear, every peer unauthenticated. Logged at WARN, naming {@code
   * who}, every time it is chosen.
   */
  public static NodeTls plaintext(String who) {
    LOG.warn(
        "{}: TLS is OFF ({}={}): internal traffic is plaintext and unauthenticated; anyone who"
            + " reaches this node's ports can act as any node. For local experiments only.",
        who,
        MODE,
        "plaintext");
    try {
      return new NodeTls(Optional.empty(), REFRESH);
    } catch (IOException e) {
      throw new IllegalStateException(e); // no files: nothing to read
    }
  }

  /**
   * From a node's environment: {@code MC_TLS=plaintext}, or all three of {@code MC_TLS_CERT},
   * {@code MC_TLS_KEY} and {@code MC_TLS_CA}. Throws {@link IllegalArgumentException} naming what
   * is missing.
   */
  public static NodeTls fromEnv(Map<String, String> env, String who) throws IOException {
    String mode = env.getOrDefault(MODE, "");
    if (mode.equals("plaintext")) {
      return plaintext(who);
    }
    if (!mode.isEmpty() && !mode.equals("mtls")) {
      throw new IllegalArgumentException(MODE + ": mtls or plaintext, got '" + mode + "'");
    }
    List<String> missing =
        List.of(CERT, KEY, CA).stream().filter(k -> env.getOrDefault(k, "").isBlank()).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          String.join(", ", missing)
              + ": required (the node's certificate, key and trusted CAs: bin/multiconnect ca), or "
              + MODE
              + "=plaintext for a local experiment without TLS");
    }
    return of(
        new Files(Path.of(env.get(CERT)), Path.of(env.get(KEY)), Path.of(env.get(CA))), REFRESH);
  }

  public boolean enabled() {
    return files.isPresent();
  }

  /** For servers: a client certificate of a trusted CA is required. */
  public ServerCredentials serverCredentials() {
    if (!enabled()) {
      return InsecureServerCredentials.create();
    }
    return TlsServerCredentials.newBuilder()
        .keyManager(keys)
        .trustManager(trust)
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
  }

  /** For channels: this node's certificate, and the server's checked against the dialed host. */
  public ChannelCredentials channelCredentials() {
    if (!enabled()) {
      return InsecureChannelCredentials.create();
    }
    return TlsChannelCredentials.newBuilder().keyManager(keys).trustManager(trust).build();
  }

  @Override
  public void close() {
    if (reloader != null) {
      reloader.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return files.map(f -> "mTLS with " + f.certificate()).orElse("plaintext");
  }
}
