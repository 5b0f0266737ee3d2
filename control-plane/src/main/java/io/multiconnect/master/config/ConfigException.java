package io.multiconnect.master.config;

/** A node-local setting is missing or malformed; names the key so the operator can fix it. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String key, String message) {
    super(key + ": " + message);
  }
}
