package io.multiconnect.dataplane;

import io.multiconnect.common.auth.ApiAccess;
import io.multiconnect.common.settings.AppSetting;
import io.multiconnect.proto.v1.ApiUsers;
import io.multiconnect.proto.v1.ShardAssignment;
import io.multiconnect.proto.v1.ShardMap;
import io.multiconnect.proto.v1.ShardMapDelta;
import io.multiconnect.proto.v1.WatchEvent;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable routing view: the shard count and each shard's primary, at one version (Raft index),
 * the public keys that verify API tokens (a JWK set; empty before the cluster has one) and the API
 * users tokens are checked against ({@link ApiAccess}). {@link #apply} folds a Watch event into a
 * new table.
 */
public record RoutingTable(
    long version,
    int shardCount,
    Map<Integer, ShardAssignment> primaries,
    String tokenPublicKeys,
    ApiAccess access,
    Map<String, String> application) {
  public static final RoutingTable EMPTY = new RoutingTable(0, 1, Map.of(), "", ApiAccess.NONE);

  /** {@code application}: the settings as the masters send them; the others take their defaults. */
  public RoutingTable {
    primaries = Map.copyOf(primaries);
    application = AppSetting.effective(application);
  }

  /** A table without application settings (a mirror's, a test's): every one at its default. */
  public RoutingTable(
      long version,
      int shardCount,
      Map<Integer, ShardAssignment> primaries,
      String tokenPublicKeys,
      ApiAccess access) {
    this(version, shardCount, primaries, tokenPublicKeys, access, Map.of());
  }

  public static RoutingTable of(ShardMap map) {
    Map<Integer, ShardAssignment> p = new TreeMap<>();
    map.getAssignmentsList().forEach(a -> p.put(a.getShard(), a));
    return new RoutingTable(
        map.getVersion(),
        map.getShardCount(),
        p,
        map.getTokenPublicKeys(),
        access(map.getApiUsers()),
        map.getSettings().getApplicationMap());
  }

  /** The API users of the wire as tokens are checked against them. */
  public static ApiAccess access(ApiUsers users) {
    return ApiAccess.of(
        users.getUsersList().stream()
            .map(
                u ->
                    new ApiAccess.User(
                        u.getUsername(),
                        u.getCredentialsIndex(),
                        Set.copyOf(u.getRevokedTokenIdsList())))
            .toList());
  }

  /** The table after {@code e}; a progress event changes nothing. */
  public RoutingTable apply(WatchEvent e) {
    if (e.hasProgress()) {
      return this;
    }
    if (e.hasSnapshot()) {
      return of(e.getSnapshot());
    }
    ShardMapDelta d = e.getDelta();
    Map<Integer, ShardAssignment> p = new TreeMap<>(primaries);
    d.getRemovedShardsList().forEach(p::remove);
    d.getUpsertsList().forEach(a -> p.put(a.getShard(), a));
    return new RoutingTable(
        e.getVersion(),
        d.getShardCount(),
        p,
        d.getTokenPublicKeys(),
        d.hasApiUsers() ? access(d.getApiUsers()) : access,
        d.getSettings().getApplicationMap());
  }

  public Optional<ShardAssignment> primaryOf(int shard) {
    return Optional.ofNullable(primaries.get(shard));
  }
}
