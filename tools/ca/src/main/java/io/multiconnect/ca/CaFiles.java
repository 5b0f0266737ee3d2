package io.multiconnect.ca;

import io.multiconnect.common.node.PrivateDirectory;
import io.multiconnect.common.tls.NodeIdentity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CA directory: {@code ca.crt} and {@code ca.key}, and per node {@code ROLE-ID.crt} and {@code
 * ROLE-ID.key} (PEM: X.509 certificates, PKCS #8 keys). The directory is 0700 and every file 0600,
 * each written whole (a temporary file, then an atomic rename).
 */
public final class CaFiles {
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";

  private static final Set<PosixFilePermission> OWNER_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Pattern KEY_PEM =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private final Path dir;

  public CaFiles(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /** {@code coreapp-c1.crt}: a node's certificate. */
  public Path certificate(NodeIdentity id) {
    return dir.resolve(id.role().label() + "-" + id.id() + ".crt");
  }

  /** {@code coreapp-c1.key}: a node's private key. */
  public Path key(NodeIdentity id) {
    return dir.resolve(id.role().label() + "-" + id.id() + ".key");
  }

  /** Writes a new CA; refuses when the directory already holds one. */
  public void writeCa(ClusterCa ca) throws IOException {
    if (Files.exists(dir.resolve(CA_KEY))) {
      throw new FileAlreadyExistsException(
          dir.resolve(CA_KEY).toString(), null, "a CA exists here already: not replaced");
    }
    ownDirectory();
    write(dir.resolve(CA_CERT), pem("CERTIFICATE", encoded(ca.certificate())));
    write(dir.resolve(CA_KEY), pem("PRIVATE KEY", ca.issued().key().getEncoded()));
  }

  /** The CA of this directory. */
  public ClusterCa readCa() throws IOException {
    Path cert = dir.resolve(CA_CERT);
    Path key = dir.resolve(CA_KEY);
    if (!Files.exists(key)) {
      throw new NoSuchFileException(key.toString(), null, "no CA here: run 'ca init' first");
    }
    List<X509Certificate> certs = certificates(cert);
    if (certs.size() != 1) {
      throw new IOException(cert + ": expected one certificate, found " + certs.size());
    }
    return new ClusterCa(new ClusterCa.Issued(privateKey(key), certs.get(0)));
  }

  /** Writes a node's certificate and key, replacing older ones of that node. */
  public void writeNode(NodeIdentity id, ClusterCa.Issued issued) throws IOException {
    ownDirectory();
    write(key(id), pem("PRIVATE KEY", issued.key().getEncoded()));
    write(certificate(id), pem("CERTIFICATE", encoded(issued.certificate())));
  }

  /** The CA directory, made if missing, only its owner may enter. */
  private void ownDirectory() throws IOException {
    PrivateDirectory.of(dir);
  }

  /** Writes a file of this directory (which must exist) that only its owner may read, whole. */
  public void write(Path file, String text) throws IOException {
    Path tmp =
        Files.createTempFile(
            dir, ".tmp-", ".pem", PosixFilePermissions.asFileAttribute(OWNER_FILE));
    try {
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Every certificate of a PEM file (a node certificate, a CA, a bundle of CAs). */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (var c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(bytes))) {
        out.add((X509Certificate) c);
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not a PEM certificate file (" + e.getMessage() + ")", e);
    }
  }

  /** An EC private key from a PKCS #8 PEM file. */
  public static PrivateKey privateKey(Path file) throws IOException {
    Matcher m = KEY_PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
    if (!m.find()) {
      throw new IOException(file + ": no 'BEGIN PRIVATE KEY' (PKCS #8) block");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(m.group(1));
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(file + ": not an EC private key (" + e.getMessage() + ")", e);
    }
  }

  /** PEM text of certificates, one after the other (a CA bundle). */
  public static String pem(List<X509Certificate> certs) {
    StringBuilder b = new StringBuilder();
    for (X509Certificate c : certs) {
      b.append(pem("CERTIFICATE", encoded(c)));
    }
    return b.toString();
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
