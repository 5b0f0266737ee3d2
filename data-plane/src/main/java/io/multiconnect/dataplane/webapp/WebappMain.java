package io.multiconnect.dataplane.webapp;

import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.clock.ClockControl;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.mirror.MirrorTls;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.node.Shutdown;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.dataplane.NodeSettings;
import io.multiconnect.dataplane.media.MediaStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts one webapp: {@code WebappMain [--config FILE]}, settings from the file and the environment
 * (which wins): {@code MC_WEBAPP_ADDRESS} (host:port, default 127.0.0.1:9090), {@code MC_MASTERS}
 * (comma-separated master API addresses), {@code MC_WEBAPP_ID}.
 */
public final class WebappMain {
  private WebappMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env;
    String address;
    List<String> masters;
    NodeTls tls;
    Optional<HttpsCertificate> https;
    MediaStore media;
    try {
      env = NodeSettings.load(args, System.getenv());
      address = env.getOrDefault("MC_WEBAPP_ADDRESS", "127.0.0.1:9090");
      masters = Endpoints.parseList("MC_MASTERS", env.get("MC_MASTERS"));
      Endpoints.port("MC_WEBAPP_ADDRESS", address);
      ApiKey.fromEnv(env);
      MirrorSettings.fromEnv(env);
      tls = NodeTls.fromEnv(env, "webapp " + env.getOrDefault("MC_WEBAPP_ID", "webapp"));
      tls.requireIdentity(
          NodeIdentity.Role.WEBAPP, env.getOrDefault("MC_WEBAPP_ID", "webapp"), Optional.empty());
      https = HttpsCertificate.fromEnv(env, NodeTls.refreshFromEnv(env));
      media = MediaStore.fromEnv(env);
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    WebappServer server;
    try {
      server =
          new WebappServer(
                  Endpoints.host(address),
                  Endpoints.port("MC_WEBAPP_ADDRESS", address),
                  masters,
                  env.getOrDefault("MC_WEBAPP_ID", "webapp"),
                  ApiKey.fromEnv(env),
                  MirrorSettings.fromEnv(env)
                      .map(m -> MirrorTls.secured(m, tls, "webapp " + env.get("MC_WEBAPP_ID"))),
                  ClockControl.fromEnvironment(env),
                  tls,
                  https,
                  media)
              .start();
    } catch (RuntimeException e) {
      System.err.println("webapp: cannot start on " + address + ": " + e.getMessage());
      System.exit(1);
      return;
    }
    Shutdown.closeOnSignal(server);
  }
}
