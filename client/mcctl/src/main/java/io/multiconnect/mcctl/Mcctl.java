package io.multiconnect.mcctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpc.Status;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.mcctl.auth.AuthCommand;
import io.multiconnect.mcctl.coreapp.CoreappCommand;
import io.multiconnect.mcctl.leader.LeaderCommand;
import io.multiconnect.mcctl.master.MasterCommand;
import io.multiconnect.mcctl.primary.PrimaryCommand;
import io.multiconnect.mcctl.settings.SettingsCommand;
import io.multiconnect.mcctl.shards.ShardsCommand;
import io.multiconnect.mcctl.version.ClusterVersionCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mcctl}: the operator's command line for a Multiconnect cluster. Exit codes: 0 done, 1 the
 * cluster refused the request (bad value), 2 bad usage, 3 no leader reachable, 4 other failure.
 */
@Command(
    name = "mcctl",
    mixinStandardHelpOptions = true,
    version = "mcctl 0.1.0",
    description = "Inspect and operate a Multiconnect cluster through its masters' Admin API.",
    subcommands = {
      StatusCommand.class,
      ShardsCommand.class,
      SettingsCommand.class,
      PrimaryCommand.class,
      CoreappCommand.class,
      LeaderCommand.class,
      MasterCommand.class,
      SnapshotCommand.class,
      WatchCommand.class,
      LoginCommand.class,
      AuthCommand.class,
      SupportBundleCommand.class,
      ClusterVersionCommand.class
    })
public final class Mcctl {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper JSON_LINES = new ObjectMapper();

  /** The masters of {@code bin/multiconnect demo}. */
  static final String DEMO_MASTERS = "127.0.0.1:9881,127.0.0.1:9882,127.0.0.1:9883";

  @Option(
      names = "--masters",
      description =
          "Comma-separated master API addresses (default: $MC_MASTERS, the config file, or the"
              + " demo's).")
  String masters;

  @Option(
      names = "--json",
      description = "Print JSON instead of a table.",
      scope = CommandLine.ScopeType.INHERIT)
  boolean json;

  @Option(
      names = "--timeout",
      description = "Seconds per call (default: ${DEFAULT-VALUE}).",
      defaultValue = "3")
  double timeoutSeconds;

  @Option(
      names = "--user",
      description = "User for admin writes (default: $MC_ADMIN_USER, the config file, or admin).")
  String user;

  @Option(
      names = "--password-file",
      description =
          "File holding the user's password (default: $MC_ADMIN_PASSWORD or the config file).")
  Path passwordFile;

  @Option(
      names = "--token",
      description = "A token from 'mcctl login' (default: $MC_ADMIN_TOKEN or the config file).")
  String token;

  @Option(
      names = "--tls-cert",
      description =
          "This tool's certificate of the cluster CA, role admin (default: $MC_TLS_CERT or the"
              + " config file's tls.cert).")
  Path tlsCert;

  @Option(names = "--tls-key", description = "Its private key (default: $MC_TLS_KEY or tls.key).")
  Path tlsKey;

  @Option(
      names = "--tls-ca",
      description = "The cluster's CA certificates (default: $MC_TLS_CA or tls.ca).")
  Path tlsCa;

  @Option(
      names = "--plaintext",
      description =
          "No TLS, for a cluster started with MC_TLS=plaintext (also $MC_TLS=plaintext or"
              + " tls=plaintext in the config file).")
  boolean plaintext;

  @Option(
      names = "--config",
      description =
          "Properties file with masters, user, password, token (default:"
              + " ~/.config/multiconnect/mcctl.properties when it exists).")
  Path config;

  /** Where a setting comes from, first match wins: the option, the environment, the file. */
  String setting(String option, String env, String key, String fallback) {
    if (option != null) {
      return option;
    }
    String fromEnv = System.getenv(env);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return fromEnv;
    }
    return configFile().getProperty(key, fallback);
  }

  /** The config file's settings, read once per run (after options are parsed). */
  private Properties configFile;

  private Properties configFile() {
    if (configFile == null) {
      configFile = readConfigFile();
    }
    return configFile;
  }

  private Properties readConfigFile() {
    Path file =
        config != null
            ? config
            : Path.of(System.getProperty("user.home"), ".config/multiconnect/mcctl.properties");
    Properties p = new Properties();
    if (config == null && !Files.exists(file)) {
      return p;
    }
    try (var in = Files.newBufferedReader(file)) {
      p.load(in);
    } catch (IOException e) {
      throw badArgument("config", "cannot read " + file + ": " + e.getMessage());
    }
    return p;
  }

  /** The user name admin writes authenticate as. */
  public String user() {
    return setting(user, "MC_ADMIN_USER", "user", "admin");
  }

  /** The password from --password-file, $MC_ADMIN_PASSWORD or the config file; empty if none. */
  public String password() {
    if (passwordFile != null) {
      try {
        return Files.readString(passwordFile).strip();
      } catch (IOException e) {
        throw badArgument("password-file", "cannot read " + passwordFile + ": " + e.getMessage());
      }
    }
    return setting(null, "MC_ADMIN_PASSWORD", "password", "");
  }

  /** How this run reaches the masters: its certificate, or plaintext when asked for. */
  NodeTls tls() {
    Map<String, String> env = new HashMap<>();
    env.put(NodeTls.MODE, plaintext ? "plaintext" : setting(null, NodeTls.MODE, "tls", ""));
    env.put(NodeTls.CERT, setting(text(tlsCert), NodeTls.CERT, "tls.cert", ""));
    env.put(NodeTls.KEY, setting(text(tlsKey), NodeTls.KEY, "tls.key", ""));
    env.put(NodeTls.CA, setting(text(tlsCa), NodeTls.CA, "tls.ca", ""));
    String problem;
    try {
      return NodeTls.fromEnv(env, "mcctl");
    } catch (IllegalArgumentException e) {
      problem =
          "no TLS settings: give --tls-cert, --tls-key and --tls-ca (or $MC_TLS_CERT,"
              + " $MC_TLS_KEY, $MC_TLS_CA, or tls.cert, tls.key, tls.ca in the config file): an"
              + " admin certificate of the cluster CA (bin/multiconnect ca issue --role admin);"
              + " --plaintext only for a cluster started without TLS";
    } catch (IOException e) {
      problem = e.getMessage();
    }
    throw badArgument("tls", problem);
  }

  /** A refusal of bad input naming {@code field} (exit code 1). */
  static AdminException badArgument(String field, String problem) {
    return new AdminException(
        AdminException.Kind.INVALID_ARGUMENT, field, Status.Code.INVALID_ARGUMENT, problem);
  }

  private static String text(Path p) {
    return p == null ? null : p.toString();
  }

  /** A client for one command's run, with the configured credentials; the caller closes it. */
  public AdminClient client() {
    String tokenValue = setting(token, "MC_ADMIN_TOKEN", "token", "");
    String password = tokenValue.isEmpty() ? password() : "";
    String authorization =
        !tokenValue.isEmpty()
            ? "Bearer " + tokenValue
            : password.isEmpty() ? "" : AdminClient.basic(user(), password);
    String masterList = setting(masters, "MC_MASTERS", "masters", DEMO_MASTERS);
    List<String> list =
        Arrays.stream(masterList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    return new AdminClient(
        list,
        tls(),
        Duration.ofMillis(Math.round(timeoutSeconds * 1000)),
        AdminClient.DEFAULT_ATTEMPTS,
        AdminClient.DEFAULT_BACKOFF,
        authorization);
  }

  /** Prints a table, or the JSON form with --json. */
  public void print(CommandLine cmd, String table, Map<String, ?> json) {
    if (this.json) {
      try {
        cmd.getOut().println(JSON.writeValueAsString(json));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    } else {
      cmd.getOut().print(table);
    }
    cmd.getOut().flush();
  }

  /** Prints one line of a stream: the text, or its JSON on one line with --json. */
  public void printLine(CommandLine cmd, String line, Map<String, ?> json) {
    try {
      cmd.getOut().println(this.json ? JSON_LINES.writeValueAsString(json) : line);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    cmd.getOut().flush();
  }

  /** The command line with the error handling every mcctl run uses. */
  public static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new Mcctl());
    cmd.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          if (e instanceof AdminException ae) {
            c.getErr().println("mcctl: " + ae.getMessage());
            return ae.kind().exitCode;
          }
          c.getErr().println("mcctl: " + e);
          return AdminException.Kind.FAILED.exitCode;
        });
    return cmd;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
