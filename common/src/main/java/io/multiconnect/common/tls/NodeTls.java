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
import io.multiconnect.common.tls.NodeIdentity.Role;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509KeyManager;
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

  /** Environment: how often the files are read again, in ms (default {@link #REFRESH}). */
  public static final String REFRESH_ENV = "MC_TLS_REFRESH_MS";

  /** Environment: {@code plaintext} turns TLS off, for local experiments only. */
  public static final String MODE = "MC_TLS";

  /** The three files of a node. */
  public record Files(Path certificate, Path key, Path trustedCas) {}

  private final Optional<Files> files;
  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trust;
  private final ScheduledExecutorService reloader;
  private byte[] identityRead; // guarded by this: the files last taken (null: none yet)
  private byte[] trustRead; // guarded by this
  private X509Certificate self; // guarded by this: the certificate in use
  private List<X509Certificate> trustedCas = List.of(); // guarded by this
  private final List<Consumer<List<X509Certificate>>> trustListeners =
      new ArrayList<>(); // guarded by this

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
    warnings();
    reloader.scheduleWithFixedDelay(this::warnings, 1, 1, TimeUnit.HOURS);
  }

  /**
   * Reads the files and takes what changed, the trusted CAs and the node's own key and certificate
   * each on their own: the key with its certificate only when they belong together (a rotation that
   * wrote one of them so far waits for the other), the CAs only when the file holds at least one.
   */
  private synchronized void load(Files f) throws IOException, GeneralSecurityException {
    List<String> problems = new ArrayList<>();
    try {
      loadTrust(f);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      problems.add(e.getMessage());
    }
    try {
      loadIdentity(f);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      problems.add(e.getMessage());
    }
    if (!problems.isEmpty()) {
      throw new GeneralSecurityException(String.join("; ", problems));
    }
  }

  private void loadTrust(Files f) throws IOException, GeneralSecurityException {
    byte[] cas = java.nio.file.Files.readAllBytes(f.trustedCas());
    if (Arrays.equals(cas, trustRead)) {
      return;
    }
    X509Certificate[] trusted = CertificateUtils.getX509Certificates(new ByteArrayInputStream(cas));
    if (trusted.length == 0) {
      throw new GeneralSecurityException(f.trustedCas() + " holds no CA certificate");
    }
    trust.updateTrustCredentials(trusted);
    trustRead = cas;
    trustedCas = List.of(trusted);
    LOG.info("TLS: trusting {} CA certificate(s) of {}", trusted.length, f.trustedCas());
    trustListeners.forEach(l -> l.accept(trustedCas));
  }

  private void loadIdentity(Files f) throws IOException, GeneralSecurityException {
    byte[] cert = java.nio.file.Files.readAllBytes(f.certificate());
    byte[] key = java.nio.file.Files.readAllBytes(f.key());
    byte[] both = concat(cert, key);
    if (Arrays.equals(both, identityRead)) {
      return;
    }
    PemIdentity identity = PemIdentity.parse(cert, key, f.certificate() + " and " + f.key());
    X509Certificate[] chain = identity.chain();
    keys.updateIdentityCredentials(chain, identity.key());
    identityRead = both;
    self = chain[0];
    LOG.info(
        "TLS: using {} ({}, until {})",
        f.certificate(),
        NodeIdentity.of(chain[0]).map(NodeIdentity::uri).orElse("no cluster identity"),
        chain[0].getNotAfter().toInstant());
  }

  /**
   * Warnings an operator must act on: the node's certificate expires within {@link
   * #EXPIRY_WARNING}, or no trusted CA signed it (the peers will refuse it).
   */
  private synchronized void warnings() {
    if (self == null) {
      return;
    }
    Instant end = self.getNotAfter().toInstant();
    if (Instant.now().plus(EXPIRY_WARNING).isAfter(end)) {
      LOG.warn("TLS: this node's certificate expires at {}: issue a new one (ca issue)", end);
    }
    boolean signed = false;
    for (X509Certificate ca : trustedCas) {
      try {
        self.verify(ca.getPublicKey());
        signed = true;
      } catch (GeneralSecurityException e) {
        // not this CA
      }
    }
    if (!signed) {
      LOG.warn(
          "TLS: no trusted CA signed this node's certificate ({}): peers that trust the same CAs"
              + " refuse it; give the nodes a bundle with its CA first",
          self.getIssuerX500Principal().getName());
    }
  }

  /** When this node's certificate expires; empty without TLS. */
  public synchronized Optional<Instant> certificateExpiry() {
    return Optional.ofNullable(self).map(c -> c.getNotAfter().toInstant());
  }

  /** When the first of the trusted CAs expires; empty without TLS. */
  public synchronized Optional<Instant> earliestCaExpiry() {
    return trustedCas.stream().map(c -> c.getNotAfter().toInstant()).min(Instant::compareTo);
  }

  /** How long before its end a certificate is reported. */
  static final Duration EXPIRY_WARNING = Duration.ofDays(30);

  private void reload() {
    try {
      load(files.orElseThrow());
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.warn(
          "TLS: the files changed but cannot be used yet, keeping the previous ones: {}",
          e.getMessage());
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
    Optional<Files> files = filesFromEnv(env);
    return files.isEmpty() ? plaintext(who) : of(files.get(), refreshFromEnv(env));
  }

  /**
   * The three files a node's environment names; empty with {@code MC_TLS=plaintext}. Throws {@link
   * IllegalArgumentException} naming what is missing. For a process that hands the files to
   * something else (the lab's database) as well as for {@link #fromEnv}.
   */
  public static Optional<Files> filesFromEnv(Map<String, String> env) {
    String mode = env.getOrDefault(MODE, "");
    if (mode.equals("plaintext")) {
      return Optional.empty();
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
    return Optional.of(
        new Files(Path.of(env.get(CERT)), Path.of(env.get(KEY)), Path.of(env.get(CA))));
  }

  /** {@code MC_TLS_REFRESH_MS}, at least 100 ms; {@link #REFRESH} when unset. */
  public static Duration refreshFromEnv(Map<String, String> env) {
    String ms = env.getOrDefault(REFRESH_ENV, "");
    if (ms.isBlank()) {
      return REFRESH;
    }
    Duration refresh;
    try {
      refresh = Duration.ofMillis(Long.parseLong(ms.trim()));
    } catch (NumberFormatException e) {
      refresh = Duration.ZERO;
    }
    if (refresh.toMillis() < 100) {
      throw new IllegalArgumentException(REFRESH_ENV + ": at least 100 ms, got '" + ms + "'");
    }
    return refresh;
  }

  public boolean enabled() {
    return files.isPresent();
  }

  /**
   * Checks, at a node's start, that its certificate is for {@code expected} and names {@code host}
   * (the host of the address it serves at; empty: not checked): a wrong certificate would only be
   * refused by every peer. Throws {@link IllegalArgumentException} naming what differs. Nothing to
   * check with TLS off.
   */
  public synchronized void requireIdentity(Role role, String id, Optional<String> host) {
    if (!enabled()) {
      return;
    }
    NodeIdentity expected = new NodeIdentity(role, id);
    Optional<NodeIdentity> named = NodeIdentity.of(self);
    if (!named.equals(Optional.of(expected))) {
      throw new IllegalArgumentException(
          CERT
              + ": "
              + files.get().certificate()
              + " is for "
              + named.map(NodeIdentity::toString).orElse("no cluster identity")
              + ", this node is "
              + expected);
    }
    if (host.isPresent() && !CallerRules.namesHost(self, host.get())) {
      throw new IllegalArgumentException(
          CERT
              + ": "
              + files.get().certificate()
              + " does not name the host '"
              + host.get()
              + "' this node serves at");
    }
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

  /**
   * For channels: this node's certificate; the server's checked against the dialed host and then
   * {@code expected}.
   */
  public ChannelCredentials channelCredentials(PeerCheck expected) {
    if (!enabled()) {
      return InsecureChannelCredentials.create();
    }
    return TlsChannelCredentials.newBuilder()
        .keyManager(keys)
        .trustManager(expected.on(trust))
        .build();
  }

  /**
   * For a library that takes plain JSSE managers (Ratis): this node's key and certificate, read
   * again like the rest. Only with TLS on.
   */
  public X509KeyManager keyManager() {
    requireEnabled();
    return keys;
  }

  /**
   * For a library that takes plain JSSE managers (Ratis), on a port only {@code peers} may reach:
   * the trusted CAs, and {@code peers} checked on the certificate of the other side whichever side
   * dials. Only with TLS on.
   */
  public X509ExtendedTrustManager trustManager(PeerCheck peers) {
    requireEnabled();
    return peers.onBothSides(trust);
  }

  /**
   * Calls {@code listener} with the trusted CA certificates now, and again (on the reload thread)
   * each time they change: for a library that reads its trust from a file of its own format (the
   * mirror's JDBC driver). Only with TLS on.
   */
  public synchronized void onTrustedCas(Consumer<List<X509Certificate>> listener) {
    requireEnabled();
    trustListeners.add(listener);
    listener.accept(trustedCas);
  }

  private void requireEnabled() {
    if (!enabled()) {
      throw new IllegalStateException("TLS is off");
    }
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
