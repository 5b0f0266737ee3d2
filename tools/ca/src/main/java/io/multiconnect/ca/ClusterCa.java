package io.multiconnect.ca;

import com.google.common.net.InetAddresses;
import io.multiconnect.common.tls.NodeIdentity;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's certificate authority: an ECDSA P-256 key and a self-signed certificate that may
 * sign node certificates only ({@code pathLen 0}). A node certificate carries its {@link
 * NodeIdentity} as its one URI name, the hosts it is reached at as DNS and IP names, and may serve
 * and dial TLS (both extended key usages: every node is server and client of another).
 *
 * <p>Pure: keys and certificates in memory, the time given; {@link CaFiles} reads and writes them.
 */
public final class ClusterCa {
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern DNS_NAME =
      Pattern.compile(
          "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  /** A key and the certificate for its public half. */
  public record Issued(PrivateKey key, X509Certificate certificate) {}

  private final Issued ca;

  public ClusterCa(Issued ca) {
    this.ca = ca;
  }

  public X509Certificate certificate() {
    return ca.certificate();
  }

  Issued issued() {
    return ca;
  }

  /**
   * A new CA named {@code Multiconnect cluster CA <name>}, valid from {@code now} (less a minute,
   * for nodes whose clocks lag) for {@code validity}.
   */
  public static ClusterCa create(String name, Instant now, Duration validity) {
    try {
      KeyPair keys = newKeyPair();
      X500Name subject =
          new X500NameBuilder(BCStyle.INSTANCE)
              .addRDN(BCStyle.O, "Multiconnect")
              .addRDN(BCStyle.CN, "Multiconnect cluster CA " + name)
              .build();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          builder(subject, subject, keys, now, validity)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(keys.getPublic()));
      return new ClusterCa(new Issued(keys.getPrivate(), sign(b, keys.getPrivate())));
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("creating the CA: " + e, e);
    }
  }

  /**
   * A certificate for {@code identity}, reached at {@code hosts} (DNS names or IP addresses, at
   * least one), with a new key.
   */
  public Issued issue(NodeIdentity identity, List<String> hosts, Instant now, Duration validity) {
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("host: at least one DNS name or IP address");
    }
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri()));
    for (String h : hosts) {
      names.add(hostName(h));
    }
    Instant caEnd = ca.certificate().getNotAfter().toInstant();
    if (now.plus(validity).isAfter(caEnd)) {
      throw new IllegalArgumentException(
          "days: the certificate would outlive the CA (valid until " + caEnd + ")");
    }
    try {
      KeyPair keys = newKeyPair();
      X500Name subject =
          new X500NameBuilder(BCStyle.INSTANCE)
              .addRDN(BCStyle.O, "Multiconnect")
              .addRDN(BCStyle.OU, identity.role().label())
              .addRDN(BCStyle.CN, identity.id())
              .build();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          builder(
                  X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
                  subject,
                  keys,
                  now,
                  validity)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(names.toArray(GeneralName[]::new)))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(keys.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(ca.certificate()));
      return new Issued(keys.getPrivate(), sign(b, ca.key()));
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("issuing " + identity + ": " + e, e);
    }
  }

  /** An IP address as an IP name, anything else as a DNS name (checked). */
  private static GeneralName hostName(String host) {
    if (InetAddresses.isInetAddress(host)) {
      return new GeneralName(GeneralName.iPAddress, host);
    }
    if (!DNS_NAME.matcher(host).matches()) {
      throw new IllegalArgumentException(
          "host: a DNS name (letters, digits, '-', dot-separated) or an IP address, got '"
              + host
              + "'");
    }
    return new GeneralName(GeneralName.dNSName, host);
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, KeyPair keys, Instant now, Duration validity) {
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("days: must be at least 1");
    }
    byte[] serial = new byte[16];
    RANDOM.nextBytes(serial);
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(1, serial),
        Date.from(now.minus(Duration.ofMinutes(1))),
        Date.from(now.plus(validity)),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** A certificate's serial number as {@code ca list} prints it. */
  static String serial(X509Certificate c) {
    return HexFormat.of().formatHex(c.getSerialNumber().toByteArray());
  }
}
