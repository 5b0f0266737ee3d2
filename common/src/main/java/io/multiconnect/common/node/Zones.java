package io.multiconnect.common.node;

import io.multiconnect.common.tls.NodeIdentity;

/**
 * A node's failure domain: whatever one failure takes down together (a host, a rack, an
 * availability zone), named in the node's configuration ({@code MC_ZONE}, a master's {@code zone}).
 * Empty when the node names none: nodes without a zone are one zone together. Zones reach logs,
 * metric labels and the replicated state, so they follow the rule of node ids.
 */
public final class Zones {
  /** The environment variable of a coreapp's zone, and the override of a master's. */
  public static final String ENV = "MC_ZONE";

  /** What a zone may be, for error messages. */
  public static final String RULE =
      "empty, or 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit";

  private Zones() {}

  /**
   * {@code value} trimmed, or empty when it is null or blank.
   *
   * @throws IllegalArgumentException naming {@code setting} when it is not a valid zone
   */
  public static String parse(String setting, String value) {
    String zone = value == null ? "" : value.trim();
    if (!isValid(zone)) {
      throw new IllegalArgumentException(setting + ": " + RULE + ", got '" + zone + "'");
    }
    return zone;
  }

  /** Empty, or what may name a node ({@link NodeIdentity#isValidId}). */
  public static boolean isValid(String zone) {
    return zone.isEmpty() || NodeIdentity.isValidId(zone);
  }
}
