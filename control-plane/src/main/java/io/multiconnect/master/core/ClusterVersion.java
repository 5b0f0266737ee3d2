package io.multiconnect.master.core;

/**
 * The cluster version, as Kafka's {@code metadata.version}: what the replicated state and its log
 * may hold. A command or a field introduced at version V is written only once the cluster version
 * is at least V; an operator raises it ({@link Command.SetClusterVersion}, {@code mcctl
 * cluster-version set}) once every master runs a release that supports V, and it never goes down.
 * Each entry names the version it needs, and a master whose release supports less stops instead of
 * applying it, so a mixed cluster never applies an entry differently on different masters.
 *
 * <p>Version 1: every command and field of the first release with the gate (zones included); only
 * {@link Command.SetClusterVersion} names a higher one. A release that adds a command or a field
 * raises {@link #SUPPORTED}, returns the new version for it from {@link #requiredBy}, and refuses
 * it in {@link ClusterState#validate} while {@link ClusterState#clusterVersion} is below that
 * version, so that its leader never writes it before every master can apply it.
 */
public final class ClusterVersion {
  /** The version of every state and entry that names none: those written before the gate. */
  public static final int INITIAL = 1;

  /** The highest cluster version this release reads and writes. */
  public static final int SUPPORTED = 1;

  private ClusterVersion() {}

  /** The cluster version an entry holding {@code command} needs. */
  public static int requiredBy(Command command) {
    return command instanceof Command.SetClusterVersion c ? c.version() : INITIAL;
  }
}
