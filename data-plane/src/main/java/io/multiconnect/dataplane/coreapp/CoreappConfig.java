package io.multiconnect.dataplane.coreapp;

import io.multiconnect.dataplane.Endpoints;
import java.util.List;
import java.util.Map;

/**
 * Node-local settings of a coreapp, from the environment (or a map in tests).
 *
 * @param id unique coreapp id ({@code MC_COREAPP_ID})
 * @param address host:port its gRPC server listens on and registers with ({@code
 *     MC_COREAPP_ADDRESS})
 * @param masters API addresses of the masters, any of which relays to the leader ({@code
 *     MC_MASTERS})
 * @param upstream the upstream (WhatsApp server stand-in) address ({@code MC_UPSTREAM})
 */
public record CoreappConfig(String id, String address, List<String> masters, String upstream) {

  public CoreappConfig {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("MC_COREAPP_ID: is required");
    }
    Endpoints.port("MC_COREAPP_ADDRESS", address);
    masters = List.copyOf(masters);
    Endpoints.port("MC_UPSTREAM", upstream);
  }

  public static CoreappConfig fromEnv(Map<String, String> env) {
    return new CoreappConfig(
        env.get("MC_COREAPP_ID"),
        env.getOrDefault("MC_COREAPP_ADDRESS", ""),
        Endpoints.parseList("MC_MASTERS", env.get("MC_MASTERS")),
        env.getOrDefault("MC_UPSTREAM", ""));
  }
}
