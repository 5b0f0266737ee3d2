package io.multiconnect.master;

import io.multiconnect.common.clock.ClockControl;
import io.multiconnect.common.node.Shutdown;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.master.config.ConfigException;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.core.ClusterVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Starts one master: {@code MasterMain [--config FILE]}. Every setting can also come from the
 * environment (see {@link MasterConfig}). Stops cleanly on SIGTERM/SIGINT.
 */
public final class MasterMain {
  private MasterMain() {}

  /**
   * The exit status of a master that met an entry or a snapshot its release cannot apply: starting
   * it again on the same release cannot help (the systemd unit does not restart it).
   */
  public static final int EXIT_INCOMPATIBLE = 78;

  public static void main(String[] args) throws Exception {
    run(args, ClusterVersion.SUPPORTED);
  }

  /**
   * Runs a master as a release that supports cluster versions up to {@code supportedVersion} (this
   * release's own from {@link #main}; another in the tests of upgrades).
   */
  public static void run(String[] args, int supportedVersion) throws Exception {
    Path configFile = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        configFile = Path.of(args[++i]);
      } else if (args[i].equals("--help")) {
        System.out.println(
            "usage: master [--config FILE]\n"
                + "keys (env override): node.id (MC_NODE_ID), peers (MC_PEERS, comma-separated"
                + " id:host:raftPort:apiPort), data.dir (MC_DATA_DIR), group.id (MC_GROUP_ID),"
                + " snapshot.threshold (MC_SNAPSHOT_THRESHOLD), log.segment.bytes"
                + " (MC_LOG_SEGMENT_BYTES), initial.shards (MC_INITIAL_SHARDS), join (MC_JOIN),"
                + " coreapp.deregister.after.seconds (MC_COREAPP_DEREGISTER_AFTER_SECONDS),"
                + " mirror.jdbc.url, mirror.user, mirror.password (MC_MIRROR_JDBC_URL,"
                + " MC_MIRROR_USER, MC_MIRROR_PASSWORD), metrics.address (MC_METRICS_ADDRESS),"
                + " metrics.api.key (WA_API_KEY), tls.cert, tls.key, tls.ca, tls, tls.refresh.ms"
                + " (MC_TLS_CERT, MC_TLS_KEY, MC_TLS_CA, MC_TLS, MC_TLS_REFRESH_MS);"
                + " conf/master.properties is a commented example");
        return;
      } else {
        System.err.println("unknown argument '" + args[i] + "'; try --help");
        System.exit(2);
      }
    }
    MasterConfig config;
    NodeTls tls;
    try {
      config = MasterConfig.load(configFile, System.getenv());
      tls =
          NodeTls.fromEnv(
              MasterConfig.tlsSettings(configFile, System.getenv()), "master " + config.nodeId());
      tls.requireIdentity(
          NodeIdentity.Role.MASTER, config.nodeId(), Optional.of(config.self().host()));
    } catch (ConfigException | IllegalArgumentException | IOException e) {
      System.err.println("configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    MasterNode node =
        new MasterNode(
            config, ClockControl.fromEnvironment(System.getenv()), tls, supportedVersion);
    // On a thread of its own: the shutdown hook closes the node, which may wait for the thread
    // that completed the future.
    node.incompatible()
        .thenAcceptAsync(
            reason -> {
              System.err.println("master " + config.nodeId() + " stops: " + reason);
              System.exit(EXIT_INCOMPATIBLE);
            },
            r -> new Thread(r, "incompatible-exit").start());
    try {
      node.start();
    } catch (IOException e) {
      System.err.println("master " + config.nodeId() + " cannot start: " + e.getMessage());
      System.exit(node.incompatible().isDone() ? EXIT_INCOMPATIBLE : 1);
    }
    Shutdown.closeOnSignal(node);
  }
}
