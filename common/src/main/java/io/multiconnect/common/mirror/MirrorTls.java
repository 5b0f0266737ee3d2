package io.multiconnect.common.mirror;

import io.multiconnect.common.node.PrivateDirectory;
import io.multiconnect.common.tls.NodeTls;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror database connection with the node's TLS: unless the JDBC URL chooses an {@code
 * sslMode} itself, a node with TLS on connects with {@code sslMode=VERIFY_IDENTITY}, trusting the
 * CAs it trusts for the cluster (so a database with a certificate of the cluster CA that names its
 * host is the only one believed). MySQL Connector/J reads its trust from a key store file, not PEM:
 * the CAs are written to a PKCS #12 file in a private temporary directory (0700), written again
 * whenever the node's trusted CAs change, so a CA rotation reaches new database connections too.
 * The file holds public certificates only; its password only satisfies the format.
 */
public final class MirrorTls {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorTls.class);
  private static final Pattern SSL_MODE =
      Pattern.compile("[?&]sslMode=([A-Za-z_]+)", Pattern.CASE_INSENSITIVE);

  private MirrorTls() {}

  /**
   * {@code mirror} as {@code who} connects to it with {@code tls}: the URL's own {@code sslMode}
   * when it has one (a WARN unless it verifies the server), else server verification with TLS on,
   * and the driver's default (TLS when the database offers it, unverified) with TLS off.
   */
  public static MirrorSettings secured(MirrorSettings mirror, NodeTls tls, String who) {
    Optional<String> chosen = sslMode(mirror.jdbcUrl());
    if (chosen.isPresent()) {
      String mode = chosen.get().toUpperCase(Locale.ROOT);
      if (!mode.equals("VERIFY_CA") && !mode.equals("VERIFY_IDENTITY")) {
        LOG.warn(
            "{}: the mirror database's certificate is not checked (sslMode={} in"
                + " mirror.jdbc.url): anyone on the path can read or change what is written",
            who,
            chosen.get());
      }
      return mirror;
    }
    if (!tls.enabled()) {
      return mirror; // the node runs without TLS, as its own warning says
    }
    Path store;
    String password = randomHex();
    try {
      Path dir = PrivateDirectory.of(Files.createTempDirectory("mc-mirror-trust-"));
      store = dir.resolve("trust.p12");
      dir.toFile().deleteOnExit();
      store.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the mirror's trust store", e);
    }
    tls.onTrustedCas(cas -> write(store, cas, password));
    String separator = mirror.jdbcUrl().contains("?") ? "&" : "?";
    return new MirrorSettings(
        mirror.jdbcUrl()
            + separator
            + "sslMode=VERIFY_IDENTITY&trustCertificateKeyStoreType=PKCS12"
            + "&trustCertificateKeyStoreUrl="
            + store.toUri()
            + "&trustCertificateKeyStorePassword="
            + password,
        mirror.user(),
        mirror.password());
  }

  private static String randomHex() {
    byte[] bytes = new byte[16];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  static Optional<String> sslMode(String jdbcUrl) {
    Matcher m = SSL_MODE.matcher(jdbcUrl);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** Writes {@code cas} to {@code store} whole (a temporary file, then an atomic rename). */
  private static void write(Path store, List<X509Certificate> cas, String password) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        ks.setCertificateEntry("ca-" + i, cas.get(i));
      }
      Path next = store.resolveSibling("trust.p12.next");
      try (OutputStream out = Files.newOutputStream(next)) {
        ks.store(out, password.toCharArray());
      }
      Files.move(next, store, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | GeneralSecurityException e) {
      LOG.warn("the mirror's trust store could not be written: {}", e.getMessage());
    }
  }
}
