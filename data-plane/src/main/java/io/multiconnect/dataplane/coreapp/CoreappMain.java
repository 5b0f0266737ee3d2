package io.multiconnect.dataplane.coreapp;

import io.multiconnect.common.clock.ClockControl;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.Shutdown;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.dataplane.NodeSettings;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * Starts one coreapp: {@code CoreappMain [--config FILE]}, settings from the file and the
 * environment (which wins): {@code MC_COREAPP_ID}, {@code MC_COREAPP_ADDRESS} (host:port to listen
 * on), {@code MC_MASTERS} (comma-separated master API addresses), {@code MC_UPSTREAM}. On SIGTERM
 * it releases its shard before exiting; when another process registers with its id, it stops acting
 * and exits with status 3.
 */
public final class CoreappMain {
  /** The exit status of a process another one with the same coreapp id replaced. */
  static final int SUPERSEDED_EXIT = 3;

  private CoreappMain() {}

  public static void main(String[] args) throws Exception {
    CoreappConfig config;
    NodeTls tls;
    try {
      Map<String, String> env = NodeSettings.load(args, System.getenv());
      config = CoreappConfig.fromEnv(env);
      tls = NodeTls.fromEnv(env, "coreapp " + config.id());
      tls.requireIdentity(
          NodeIdentity.Role.COREAPP, config.id(), Optional.of(Endpoints.host(config.address())));
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    CoreappNode node =
        new CoreappNode(config, ClockControl.fromEnvironment(System.getenv()), tls).start();
    // Another process took this id over: this one stopped acting; exit so a supervisor notices.
    node.superseded().thenRunAsync(() -> System.exit(SUPERSEDED_EXIT));
    Shutdown.closeOnSignal(node);
  }
}
