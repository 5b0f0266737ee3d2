package io.multiconnect.common.tls;

import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A certificate chain (the certificate first) and the private key of its first certificate, read
 * from PEM and checked: the chain is not empty, the key belongs to the certificate, and the
 * certificate is valid now. What a node's mutual-TLS identity and the webapp's HTTPS certificate
 * are made of.
 */
public record PemIdentity(X509Certificate[] chain, PrivateKey key) {

  /**
   * Reads {@code certificates} (PEM, the certificate first) and {@code key} (PEM); {@code source}
   * names where they came from in the messages.
   */
  public static PemIdentity parse(byte[] certificates, byte[] key, String source)
      throws GeneralSecurityException, IOException {
    X509Certificate[] chain =
        CertificateUtils.getX509Certificates(new ByteArrayInputStream(certificates));
    if (chain.length == 0) {
      throw new GeneralSecurityException(source + " holds no certificate");
    }
    PrivateKey privateKey = CertificateUtils.getPrivateKey(new ByteArrayInputStream(key));
    if (privateKey == null) {
      throw new GeneralSecurityException(source + " holds no private key");
    }
    requirePair(privateKey, chain[0]);
    chain[0].checkValidity(); // an expired certificate would only fail every handshake
    return new PemIdentity(chain, privateKey);
  }

  /**
   * Reads one PEM text holding a private key and a certificate chain (the certificate first, its
   * intermediates after it), in any order of blocks, as the On-Premises API's certificate upload
   * takes them.
   */
  public static PemIdentity parseBundle(String pem, String source)
      throws GeneralSecurityException, IOException {
    StringBuilder certificates = new StringBuilder();
    StringBuilder keys = new StringBuilder();
    Matcher m = BLOCK.matcher(pem);
    while (m.find()) {
      (m.group(1).endsWith("PRIVATE KEY") ? keys : certificates).append(m.group()).append('\n');
    }
    return parse(
        certificates.toString().getBytes(StandardCharsets.US_ASCII),
        keys.toString().getBytes(StandardCharsets.US_ASCII),
        source);
  }

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----[\\s\\S]*?-----END \\1-----");

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
}
