package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.proto.v1.BackupRequest;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.RestoreRequest;
import io.multiconnect.proto.v1.RestoreResponse;
import io.multiconnect.proto.v1.SetShardCountRequest;
import io.multiconnect.proto.v1.UpdateSettingsRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/settings/backup} and {@code /v1/settings/restore} (the admin): the masters seal
 * and open the backup (settings, profile, users, shard count; docs/operations.md). A restore opens
 * it, applies its intervals and shard count through the same checked paths as any change of them,
 * then puts the settings and users back in one entry (last: it revokes the caller's token when the
 * backup holds another hash of the admin's password). What those checks refuse is named in {@code
 * meta.warning}, the rest is restored.
 */
final class BackupRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(BackupRoutes.class);

  private final Function<Context, AdminClient> asCaller;
  private final Supplier<ClusterSettings> settings;
  private final Supplier<Integer> shardCount;

  BackupRoutes(
      Function<Context, AdminClient> asCaller,
      Supplier<ClusterSettings> settings,
      Supplier<Integer> shardCount) {
    this.asCaller = asCaller;
    this.settings = settings;
    this.shardCount = shardCount;
  }

  void register(RoutesConfig r) {
    r.post("/v1/settings/backup", this::backup);
    r.post("/v1/settings/restore", this::restore);
  }

  private void backup(Context ctx) {
    Auth.requireAdmin(ctx, "back the cluster up");
    String password = WebappServer.requiredText(WebappServer.body(ctx), "password", "password");
    String data =
        asCaller
            .apply(ctx)
            .call(s -> s.backup(BackupRequest.newBuilder().setPassword(password).build()))
            .getData();
    ctx.json(Map.of("settings", Map.of("data", data), "meta", WebappServer.meta()));
  }

  private void restore(Context ctx) {
    Auth.requireAdmin(ctx, "restore a backup");
    JsonNode b = WebappServer.body(ctx);
    String password = WebappServer.requiredText(b, "password", "password");
    String data = WebappServer.requiredText(b, "data", "data");
    AdminClient admin = asCaller.apply(ctx);
    RestoreRequest request =
        RestoreRequest.newBuilder().setPassword(password).setData(data).build();
    // Opened first; the intervals and the shard count go before the users, whose entry revokes the
    // caller's token when the backup holds another hash of its password.
    RestoreResponse restored =
        admin.call(s -> s.restore(request.toBuilder().setCheckOnly(true).build()));
    List<String> notApplied = new ArrayList<>();
    ClusterSettings now = settings.get();
    if (now.getHeartbeatIntervalMs() != restored.getHeartbeatIntervalMs()
        || now.getUnhealthyIntervalMs() != restored.getUnhealthyIntervalMs()) {
      apply(
          notApplied,
          "the intervals",
          () ->
              admin.call(
                  s ->
                      s.updateSettings(
                          UpdateSettingsRequest.newBuilder()
                              .setHeartbeatIntervalMs(restored.getHeartbeatIntervalMs())
                              .setUnhealthyIntervalMs(restored.getUnhealthyIntervalMs())
                              .build())));
    }
    if (restored.getShardCount() != 0 && restored.getShardCount() != shardCount.get()) {
      apply(
          notApplied,
          restored.getShardCount() + " shards",
          () ->
              admin.call(
                  s ->
                      s.setShardCount(
                          SetShardCountRequest.newBuilder()
                              .setShardCount(restored.getShardCount())
                              .build())));
    }
    admin.call(s -> s.restore(request));
    LOG.info(
        "restored the backup of {}: {} its intervals and shard count, then its settings and {} users",
        restored.getTakenAt(),
        notApplied.isEmpty() ? "all of" : "some of",
        restored.getUsers());
    Map<String, Object> meta = new LinkedHashMap<>(WebappServer.meta());
    if (!notApplied.isEmpty()) {
      meta.put(
          "warning", "settings and users restored; not restored: " + String.join("; ", notApplied));
    }
    ctx.json(Map.of("meta", meta));
  }

  /** Runs {@code change}; when the masters refuse it, notes {@code what} and why. */
  private static void apply(List<String> notApplied, String what, Runnable change) {
    try {
      change.run();
    } catch (AdminException e) {
      LOG.warn("restore: {} refused: {}", what, e.getMessage());
      notApplied.add(what + " (" + e.getMessage() + ")");
    }
  }
}
