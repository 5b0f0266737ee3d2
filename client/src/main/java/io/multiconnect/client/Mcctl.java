package io.multiconnect.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.multiconnect.client.coreapp.CoreappCommand;
import io.multiconnect.client.leader.LeaderCommand;
import io.multiconnect.client.master.MasterCommand;
import io.multiconnect.client.primary.PrimaryCommand;
import io.multiconnect.client.settings.SettingsCommand;
import io.multiconnect.client.shards.ShardsCommand;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
      WatchCommand.class
    })
public final class Mcctl {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper JSON_LINES = new ObjectMapper();

  @Option(
      names = "--masters",
      description = "Comma-separated master API addresses (default: $MC_MASTERS or the demo's).",
      defaultValue = "${env:MC_MASTERS:-127.0.0.1:9881,127.0.0.1:9882,127.0.0.1:9883}")
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

  /** A client for one command's run; the caller closes it. */
  public AdminClient client() {
    List<String> list =
        Arrays.stream(masters.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    return new AdminClient(
        list,
        Duration.ofMillis(Math.round(timeoutSeconds * 1000)),
        AdminClient.DEFAULT_ATTEMPTS,
        AdminClient.DEFAULT_BACKOFF);
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
