package io.multiconnect.common.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who a certificate speaks for: a role and an id, written into the certificate as one URI subject
 * alternative name, {@code spiffe://multiconnect/ROLE/ID} (a SPIFFE ID). The cluster CA puts
 * exactly one there; a certificate with none, several, or one that does not parse names nobody.
 */
public record NodeIdentity(Role role, String id) {

  /** What a node is, and so which calls it may make. */
  public enum Role {
    MASTER,
    COREAPP,
    WEBAPP,
    /** An operator's tool: mcctl, the harnesses. Admin writes also need a user's token. */
    ADMIN,
    UPSTREAM,
    DATABASE;

    /** As URIs and file names write it: {@code coreapp}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a label; throws {@link IllegalArgumentException} naming the allowed ones. */
    public static Role parse(String label) {
      for (Role r : values()) {
        if (r.label().equals(label)) {
          return r;
        }
      }
      throw new IllegalArgumentException(
          "role: one of master, coreapp, webapp, admin, upstream, database, got '" + label + "'");
    }
  }

  private static final String PREFIX = "spiffe://multiconnect/";

  /** Ids as node configurations hold them: {@code m1}, {@code c2}, {@code w1}, {@code ops}. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  /** The subjectAltName type of a URI (RFC 5280, GeneralName uniformResourceIdentifier). */
  private static final int URI_NAME = 6;

  public NodeIdentity {
    if (role == null) {
      throw new IllegalArgumentException("role: required");
    }
    if (!isValidId(id)) {
      throw new IllegalArgumentException(
          "id: 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit, got '"
              + id
              + "'");
    }
  }

  /**
   * Whether {@code id} may name a node: 1-64 letters, digits, '_', '.' or '-', starting with a
   * letter or digit. Ids reach logs and metric labels, and certificates.
   */
  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /** {@code spiffe://multiconnect/coreapp/c1}. */
  public String uri() {
    return PREFIX + role.label() + "/" + id;
  }

  /** The identity a URI names, if it is one of ours and well formed. */
  public static Optional<NodeIdentity> fromUri(String uri) {
    if (uri == null || !uri.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String[] parts = uri.substring(PREFIX.length()).split("/", -1);
    if (parts.length != 2) {
      return Optional.empty();
    }
    try {
      return Optional.of(new NodeIdentity(Role.parse(parts[0]), parts[1]));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The identity a certificate names: its single {@code spiffe://multiconnect/} URI name. Empty
   * when there is none, more than one, or it does not parse.
   */
  public static Optional<NodeIdentity> of(X509Certificate certificate) {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
    if (names == null) {
      return Optional.empty();
    }
    List<String> ours = new ArrayList<>();
    for (List<?> name : names) {
      if (name.size() == 2
          && Integer.valueOf(URI_NAME).equals(name.get(0))
          && name.get(1) instanceof String uri
          && uri.startsWith(PREFIX)) {
        ours.add(uri);
      }
    }
    return ours.size() == 1 ? fromUri(ours.get(0)) : Optional.empty();
  }

  @Override
  public String toString() {
    return role.label() + "/" + id;
  }
}
