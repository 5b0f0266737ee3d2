package io.multiconnect.dataplane.webapp;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.multiconnect.common.node.DaemonThreads;
import io.multiconnect.common.tls.PemIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate the webapp serves HTTPS with: the one an admin uploaded through {@code POST
 * /v1/certificates/external} (kept by the masters), or else the operator's PEM files ({@value
 * #CERT}, the certificate first and its intermediates after it, and {@value #KEY}). Both are read
 * again every refresh period, so a new certificate is served without a restart; one that cannot be
 * used (a key of another certificate, an expired certificate, a file half written) is logged once
 * and the previous one kept. Clients are not asked for a certificate: they authenticate with their
 * token.
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
  private byte[] read; // guarded by this: what was last taken (the upload, or both files)
  private byte[] refused; // guarded by this: what was last found unusable (reported once)
  private volatile Supplier<String> uploaded = () -> "";

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

  /**
   * From now on, serves the certificate {@code upload} gives (PEM of key, certificate and
   * intermediates; empty when none was uploaded) in preference to the files.
   */
  void follow(Supplier<String> upload) {
    this.uploaded = upload;
  }

  private synchronized void load() throws IOException, GeneralSecurityException {
    String upload = uploaded.get();
    if (!upload.isEmpty()) {
      byte[] pem = upload.getBytes(StandardCharsets.US_ASCII);
      take(pem, () -> PemIdentity.parseBundle(upload, "the uploaded certificate"), "the upload");
      return;
    }
    byte[] cert = Files.readAllBytes(certificate);
    byte[] privateKey = Files.readAllBytes(key);
    byte[] both = Arrays.copyOf(cert, cert.length + privateKey.length);
    System.arraycopy(privateKey, 0, both, cert.length, privateKey.length);
    take(
        both,
        () -> PemIdentity.parse(cert, privateKey, certificate + " and " + key),
        certificate.toString());
  }

  private interface Parse {
    PemIdentity parse() throws IOException, GeneralSecurityException;
  }

  /** Serves what {@code bytes} hold, unless it is in use already or was found unusable before. */
  private void take(byte[] bytes, Parse parse, String source)
      throws IOException, GeneralSecurityException {
    if (Arrays.equals(bytes, read) || Arrays.equals(bytes, refused)) {
      return;
    }
    PemIdentity identity;
    try {
      identity = parse.parse();
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      refused = bytes;
      throw e;
    }
    keys.updateIdentityCredentials(identity.chain(), identity.key());
    read = bytes;
    LOG.info(
        "HTTPS: serving {} ({}, until {})",
        source,
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
