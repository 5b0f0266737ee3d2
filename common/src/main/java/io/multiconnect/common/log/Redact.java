package io.multiconnect.common.log;

import java.util.regex.Pattern;

/**
 * What a log line, a command's {@code toString} or a support bundle may show of a text that can
 * hold a URL with credentials (a webhook's {@code https://user:password@host/path?token=...}):
 * every URL's user information and query are replaced by {@code ***}.
 */
public final class Redact {
  private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@\\s?#]+@");
  // A query ends at a space, a fragment, or a character that ends a URL in a map or JSON text.
  private static final Pattern QUERY = Pattern.compile("(://[^\\s?#]*)\\?[^\\s#},\"']*");

  private Redact() {}

  /** {@code text} with the user information and the query of every URL in it masked. */
  public static String urls(String text) {
    return QUERY.matcher(USER_INFO.matcher(text).replaceAll("***@")).replaceAll("$1?***");
  }
}
