package io.multiconnect.lab;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The embedded mirror database's accounts, one per role, each allowed only what that role does: the
 * masters write the mirror and migrate its schema; the coreapps write their liveness rows and
 * nothing else (a coreapp that could write {@code shards} could route a webapp's seed to itself);
 * the webapps read. None is {@code root}, and each needs TLS when the database has it. Passwords
 * come from the environment, letters and digits only (they go into SQL), never the command line.
 */
record MirrorUsers(String masterPassword, String coreappPassword, String webappPassword) {
  static final String SCHEMA = "multiconnect";
  static final String MASTER = "mc_master";
  static final String COREAPP = "mc_coreapp";
  static final String WEBAPP = "mc_webapp";

  static final String MASTER_ENV = "MC_DB_MASTER_PASSWORD";
  static final String COREAPP_ENV = "MC_DB_COREAPP_PASSWORD";
  static final String WEBAPP_ENV = "MC_DB_WEBAPP_PASSWORD";

  private static final Pattern PASSWORD = Pattern.compile("[A-Za-z0-9]{16,128}");

  MirrorUsers {
    for (String p : new String[] {masterPassword, coreappPassword, webappPassword}) {
      if (p == null || !PASSWORD.matcher(p).matches()) {
        throw new IllegalArgumentException(
            MASTER_ENV
                + ", "
                + COREAPP_ENV
                + ", "
                + WEBAPP_ENV
                + ": each 16-128 letters and digits");
      }
    }
  }

  /** Three new random passwords. */
  static MirrorUsers random() {
    SecureRandom random = new SecureRandom();
    return new MirrorUsers(hex(random), hex(random), hex(random));
  }

  private static String hex(SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  static MirrorUsers fromEnv(Map<String, String> env) {
    return new MirrorUsers(env.get(MASTER_ENV), env.get(COREAPP_ENV), env.get(WEBAPP_ENV));
  }

  /** For the database node's environment. */
  Map<String, String> env() {
    return Map.of(
        MASTER_ENV, masterPassword, COREAPP_ENV, coreappPassword, WEBAPP_ENV, webappPassword);
  }

  /**
   * The schema and the accounts, run through the local socket at every start (a restarted database
   * takes this run's passwords): no anonymous account, no account but these three reachable over
   * TCP.
   */
  String accountsSql(boolean requireTls) {
    String require = requireTls ? " REQUIRE SSL" : " REQUIRE NONE";
    StringBuilder sql = new StringBuilder();
    sql.append("CREATE DATABASE IF NOT EXISTS ").append(SCHEMA).append(";\n");
    sql.append("DELETE FROM mysql.global_priv WHERE User = '';\n");
    sql.append("DELETE FROM mysql.global_priv WHERE Host <> 'localhost' AND User <> 'PUBLIC'")
        .append(" AND User NOT IN ('")
        .append(MASTER)
        .append("', '")
        .append(COREAPP)
        .append("', '")
        .append(WEBAPP)
        .append("');\n");
    sql.append("DROP DATABASE IF EXISTS test;\n");
    sql.append("DELETE FROM mysql.db WHERE Db IN ('test', 'test\\\\_%');\n");
    sql.append("FLUSH PRIVILEGES;\n");
    for (Map.Entry<String, String> u :
        Map.of(MASTER, masterPassword, COREAPP, coreappPassword, WEBAPP, webappPassword)
            .entrySet()) {
      sql.append("CREATE USER IF NOT EXISTS '").append(u.getKey()).append("'@'%';\n");
      // The hash, not the password: the database tool logs the statements it runs.
      sql.append("ALTER USER '")
          .append(u.getKey())
          .append("'@'%' IDENTIFIED BY PASSWORD '")
          .append(nativeHash(u.getValue()))
          .append("'")
          .append(require)
          .append(";\n");
    }
    sql.append("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP ON ")
        .append(SCHEMA)
        .append(".* TO '")
        .append(MASTER)
        .append("'@'%';\n");
    sql.append("GRANT SELECT ON ")
        .append(SCHEMA)
        .append(".* TO '")
        .append(WEBAPP)
        .append("'@'%';\n");
    return sql.toString();
  }

  /** MySQL's native password hash: {@code *} and the upper-case hex of SHA-1(SHA-1(password)). */
  static String nativeHash(String password) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      byte[] once = sha1.digest(password.getBytes(StandardCharsets.UTF_8));
      return "*" + HexFormat.of().withUpperCase().formatHex(sha1.digest(once));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 unavailable", e);
    }
  }

  /** What needs the schema's tables: the coreapps' one table. */
  String tableGrantsSql() {
    return "GRANT SELECT, INSERT, UPDATE ON "
        + SCHEMA
        + ".coreapp_liveness TO '"
        + COREAPP
        + "'@'%';\n";
  }
}
