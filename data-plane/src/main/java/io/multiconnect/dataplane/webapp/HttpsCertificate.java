package io.multiconnect.dataplane.webapp;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.PemIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate the webapp serves HTTPS with: the operator's PEM files ({@value #CERT}, the
 * certificate first and its intermediates after it, and {@value #KEY}), read again every refresh
 * period, so a renewed certificate is served without a restart; a pair that cannot be used (a key
 * of another certificate, an expired certificate, a file half written) is logged and the previous
 * one kept. Clients are not asked for a certificate: they authenticate with their token.
 */
public final class HttpsCertificate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpsCertificate.class);

  static final String CERT = "MC_WEBAPP_HTTPS_CERT";
  static final String KEY = "MC_WEBAPP_HTTPS_KEY";

  private final Path certificate;
  private final Path key;
  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private final ScheduledExecutorService reloader =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("https-reload"));
  private byte[] read; // guarded by this: the files last taken
  private byte[] refused; // guarded by this: the files last found unusable (reported once)

  private HttpsCertificate(Path certificate, Path key, Duration refresh)
      throws IOException, GeneralSecurityException {
    this.certificate = certificate;
    this.key = key;
    load();
    reloader.scheduleWithFixedDelay(
        this::reload, refresh.toMillis(), refresh.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * HTTPS with the files {@value #CERT} and {@value #KEY} name, when both are set; throws {@link
   * IllegalArgumentException} when only one is, or when they cannot be used at start.
   */
  public static Optional<HttpsCertificate> fromEnv(Map<String, String> env, Duration refresh) {
    String cert = env.get(CERT);
    String key = env.get(KEY);
    if (cert == null && key == null) {
      return Optional.empty();
    }
    if (cert == null || key == null) {
      throw new IllegalArgumentException(CERT + " and " + KEY + " go together");
    }
    try {
      return Optional.of(new HttpsCertificate(Path.of(cert), Path.of(key), refresh));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "HTTPS: cannot use " + cert + " and " + key + ": " + e.getMessage(), e);
    }
  }

  /** A TLS context whose certificate follows the files. */
  SSLContext context() throws GeneralSecurityException {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {keys}, null, null);
    return context;
  }

  private synchronized void load() throws IOException, GeneralSecurityException {
    byte[] cert = Files.readAllBytes(certificate);
    byte[] privateKey = Files.readAllBytes(key);
    byte[] both = Arrays.copyOf(cert, cert.length + privateKey.length);
    System.arraycopy(privateKey, 0, both, cert.length, privateKey.length);
    if (Arrays.equals(both, read) || Arrays.equals(both, refused)) {
      return;
    }
    PemIdentity identity;
    try {
      identity = PemIdentity.parse(cert, privateKey, certificate + " and " + key);
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      refused = both;
      throw e;
    }
    keys.updateIdentityCredentials(identity.chain(), identity.key());
    read = both;
    LOG.info(
        "HTTPS: serving {} ({}, until {})",
        certificate,
        identity.chain()[0].getSubjectX500Principal().getName(),
        identity.chain()[0].getNotAfter().toInstant());
  }

  private void reload() {
    try {
      load();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.warn(
          "HTTPS: the certificate files changed but cannot be used yet, keeping the previous"
              + " certificate: {}",
          e.getMessage());
    }
  }

  @Override
  public void close() {
    reloader.shutdownNow();
  }
}
