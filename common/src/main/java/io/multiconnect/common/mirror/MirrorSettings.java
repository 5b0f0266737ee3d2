package io.multiconnect.common.mirror;

import java.util.Map;
import java.util.Optional;

/**
 * Where the mirror lives: a JDBC URL for MySQL or MariaDB ({@code mirror.jdbc.url}, {@code
 * MC_MIRROR_JDBC_URL}) and credentials ({@code mirror.user}/{@code MC_MIRROR_USER}, {@code
 * mirror.password}/{@code MC_MIRROR_PASSWORD}), from the config file or the environment, never the
 * command line.
 */
public record MirrorSettings(String jdbcUrl, String user, String password) {
  public MirrorSettings {
    if (!jdbcUrl.startsWith("jdbc:mysql:") && !jdbcUrl.startsWith("jdbc:mariadb:")) {
      throw new IllegalArgumentException(
          "mirror.jdbc.url: must start with jdbc:mysql: (MySQL Connector/J), got '"
              + jdbcUrl
              + "'");
    }
  }

  /**
   * From {@code MC_MIRROR_JDBC_URL}, {@code MC_MIRROR_USER}, {@code MC_MIRROR_PASSWORD}; empty
   * without a URL.
   */
  public static Optional<MirrorSettings> fromEnv(Map<String, String> env) {
    String url = env.getOrDefault("MC_MIRROR_JDBC_URL", "");
    return url.isBlank()
        ? Optional.empty()
        : Optional.of(
            new MirrorSettings(
                url,
                env.getOrDefault("MC_MIRROR_USER", "root"),
                env.getOrDefault("MC_MIRROR_PASSWORD", "")));
  }

  @Override
  public String toString() {
    return "MirrorSettings[" + jdbcUrl + ", user " + user + "]"; // never the password
  }
}
