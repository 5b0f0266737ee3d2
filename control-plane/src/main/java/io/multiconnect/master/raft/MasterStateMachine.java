package io.multiconnect.master.raft;

import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.Command;
import io.multiconnect.master.core.Rejection;
import io.multiconnect.proto.v1.raft.CommandEnvelope;
import io.multiconnect.proto.v1.raft.StateSnapshot;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin Ratis adapter over {@link ClusterState}: decodes each log entry's {@link
 * CommandEnvelope}, rejects invalid commands in {@link #startTransaction} (on the leader, before
 * anything is logged), applies committed ones, and keeps snapshots with an MD5 checksum.
 *
 * <p>Threading: Ratis applies entries on one thread; {@link #state} is volatile and immutable, so
 * readers on other threads see a consistent state. The {@link Listener} runs on the apply thread
 * and must only hand work off (never block).
 */
public final class MasterStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(MasterStateMachine.class);

  /** Told about every applied state and leadership change; must not block. */
  public interface Listener {
    void applied(ClusterState state);

    void leaderReady();

    void leaderChanged(RaftPeerId newLeaderId);

    /**
     * This master met an entry or a snapshot its release cannot apply and has stopped applying: the
     * master must stop. Called once Ratis has closed the state machine (so never while Ratis waits
     * for the apply thread), or from a start that failed on such a snapshot.
     */
    void cannotApply(String reason);
  }

  /**
   * An entry or a snapshot this release cannot apply: it needs a higher cluster version than the
   * release supports, or holds a command this release does not know. Applying it as anything else
   * would leave this master's state different from the others'.
   */
  public static final class IncompatibleEntryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    IncompatibleEntryException(String message) {
      super(message);
    }
  }

  /** The highest cluster version this master's release supports ({@code ClusterVersion}). */
  private final int supportedVersion;

  /** Why this state machine stopped applying: an entry or a snapshot it cannot apply; or null. */
  private volatile String incompatibility;

  public MasterStateMachine(int supportedVersion) {
    this.supportedVersion = supportedVersion;
  }

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();

  /**
   * The newest snapshot as last loaded or taken here ({@link #loadLatestSnapshot}, {@link
   * #takeSnapshot}), while {@link #snapshotKnown}. Ratis asks for it on every append and commit,
   * and {@link SimpleStateMachineStorage} looks for one in its directory on every call while there
   * is none, as in a cluster younger than its first snapshot: 25 directory listings a second on an
   * idle leader.
   */
  private volatile SingleFileSnapshotInfo latestSnapshot;

  /**
   * Whether {@link #latestSnapshot} is the newest snapshot on disk. Not from {@link #pause} (Ratis
   * pauses the state machine before it moves a snapshot installed from the leader into place, and
   * may look for it, to compare logs for a vote, before {@link #reinitialize}) until the next load,
   * nor after a look-up that found nothing where a snapshot was just written: then the storage
   * looks for itself, as it does without this cache.
   */
  private volatile boolean snapshotKnown;

  private volatile ClusterState state = ClusterState.INITIAL;
  private volatile Listener listener;

  public void setListener(Listener listener) {
    this.listener = listener;
  }

  public ClusterState state() {
    return state;
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return snapshotKnown ? latestSnapshot : storage.getLatestSnapshot();
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    getLifeCycle()
        .startAndTransition(
            () -> {
              storage.init(raftStorage);
              loadLatestSnapshot();
            });
  }

  /** Ratis pauses the state machine before it installs a snapshot from the leader. */
  @Override
  public void pause() {
    snapshotKnown = false;
    getLifeCycle().transition(LifeCycle.State.PAUSING);
    getLifeCycle().transition(LifeCycle.State.PAUSED);
  }

  /** Called after a snapshot from the leader was installed: load it and resume. */
  @Override
  public void reinitialize() throws IOException {
    loadLatestSnapshot();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  private void loadLatestSnapshot() throws IOException {
    SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
    latestSnapshot = snapshot;
    snapshotKnown = true;
    if (snapshot == null) {
      return;
    }
    File file = snapshot.getFile().getPath().toFile();
    MD5Hash stored = MD5FileUtil.readStoredMd5ForFile(file);
    MD5Hash computed = MD5FileUtil.computeMd5ForFile(file);
    if (stored == null || !stored.equals(computed)) {
      throw new IOException(
          "snapshot " + file + " is corrupt: checksum " + computed + " != stored " + stored);
    }
    try (InputStream in = Files.newInputStream(file.toPath())) {
      ClusterState loaded = CommandCodec.decode(StateSnapshot.parseFrom(in));
      if (loaded.clusterVersion() > supportedVersion) {
        String reason =
            "snapshot "
                + file.getName()
                + " needs cluster version "
                + loaded.clusterVersion()
                + ", and this master's release supports up to "
                + supportedVersion
                + ": run a release that supports it (docs/operations.md, Rolling upgrades)";
        LOG.error(reason);
        incompatibility = reason;
        throw new IOException(reason);
      }
      state = loaded;
      setLastAppliedTermIndex(snapshot.getTermIndex());
      LOG.info("loaded snapshot {} at index {}", file.getName(), loaded.version());
    }
    Listener l = listener;
    if (l != null) {
      l.applied(state);
    }
  }

  @Override
  public long takeSnapshot() throws IOException {
    ClusterState current = state;
    TermIndex last = getLastAppliedTermIndex();
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    File tmp = new File(file.getParentFile(), file.getName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp.toPath())) {
      CommandCodec.encode(current).writeTo(out);
    }
    Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE);
    MD5FileUtil.computeAndSaveMd5ForFile(file);
    SingleFileSnapshotInfo taken = storage.loadLatestSnapshot();
    latestSnapshot = taken;
    snapshotKnown = taken != null; // null: the directory could not be read; the storage looks
    LOG.info("took snapshot {} at index {}", file.getName(), last.getIndex());
    return last.getIndex();
  }

  /**
   * Decodes and validates on the leader; an invalid command fails here and is never logged, and so
   * does one that names no proposer term: the masters' own proposals always carry the term of the
   * leadership that decided them, so such a write came from elsewhere (a raw Ratis client).
   */
  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    ByteString content = request.getMessage().getContent();
    TransactionContext.Builder trx =
        TransactionContext.newBuilder()
            .setStateMachine(this)
            .setClientRequest(request)
            .setLogData(content);
    try {
      CommandEnvelope envelope = CommandEnvelope.parseFrom(content.toByteArray());
      if (envelope.getProposerTerm() == 0) {
        return trx.build()
            .setException(
                new StateMachineException(
                    "no proposer term: only a leader's own decisions are written to the log"));
      }
      int needed = CommandCodec.requiredVersion(envelope);
      if (needed > supportedVersion) {
        return trx.build()
            .setException(new StateMachineException(needsMore(needed, supportedVersion)));
      }
      Command command = CommandCodec.decode(envelope);
      Optional<Rejection> rejection = state.validate(command);
      if (rejection.isPresent()) {
        return trx.build().setException(InvalidCommandException.of(rejection.get()));
      }
      return trx.setStateMachineContext(command).build();
    } catch (com.google.protobuf.InvalidProtocolBufferException | IllegalArgumentException e) {
      return trx.build()
          .setException(new StateMachineException("undecodable command: " + e.getMessage()));
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    RaftProtos.LogEntryProto entry = trx.getLogEntry();
    Applied applied;
    try {
      applied =
          applyEntry(
              state,
              entry.getStateMachineLogEntry().getLogData().toByteArray(),
              entry.getTerm(),
              entry.getIndex(),
              supportedVersion);
    } catch (IncompatibleEntryException e) {
      // Thrown, the entry stays unapplied: Ratis stops applying, closes this master's Raft server
      // and, with it, this state machine (close), which tells the listener.
      LOG.error("{}; this master stops without applying it", e.getMessage());
      incompatibility = e.getMessage();
      throw e;
    }
    state = applied.state();
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    Listener l = listener;
    if (l != null) {
      l.applied(applied.state());
    }
    return CompletableFuture.completedFuture(Message.valueOf(applied.reply()));
  }

  /** Why this state machine stopped applying, if it met an entry or a snapshot it cannot apply. */
  public Optional<String> incompatibility() {
    return Optional.ofNullable(incompatibility);
  }

  /**
   * Ratis closes the state machine when its server stops, and after an apply failed: only then is
   * the listener told of an incompatibility, so that stopping the master cannot wait for the apply
   * thread that is still in Ratis's hands.
   */
  @Override
  public void close() throws IOException {
    super.close();
    String reason = incompatibility;
    Listener l = listener;
    if (reason != null && l != null) {
      l.cannotApply(reason);
    }
  }

  /** The state after an entry, and the reply to its proposer. */
  record Applied(ClusterState state, String reply) {}

  /**
   * What the entry at {@code index} of term {@code entryTerm} does to {@code state}: the same on
   * every master. Every entry moves the state's version to its index. A command decided in another
   * term changes nothing else.
   *
   * @throws IncompatibleEntryException when the entry needs a higher cluster version than {@code
   *     supportedVersion}, or this release cannot read it (a command of a later release, or
   *     damage): a master must not apply it at all
   */
  static Applied applyEntry(
      ClusterState state, byte[] logData, long entryTerm, long index, int supportedVersion) {
    CommandEnvelope envelope;
    try {
      envelope = CommandEnvelope.parseFrom(logData);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw incompatible(index, entryTerm, "cannot be read (" + e.getMessage() + ")");
    }
    long proposerTerm = envelope.getProposerTerm();
    if (staleProposal(proposerTerm, entryTerm)) {
      // Decided by a leader of another term (see CommandEnvelope.proposer_term): no effect on any
      // master, whatever it holds.
      LOG.warn(
          "entry {} (term {}) was proposed in term {}; applied as a no-op",
          index,
          entryTerm,
          proposerTerm);
      return new Applied(state.skip(index), STALE + index);
    }
    int needed = CommandCodec.requiredVersion(envelope);
    if (needed > supportedVersion) {
      throw incompatible(index, entryTerm, needsMore(needed, supportedVersion));
    }
    Command command;
    try {
      command = CommandCodec.decode(envelope);
    } catch (IllegalArgumentException e) {
      throw incompatible(index, entryTerm, "holds no command this release knows");
    }
    return new Applied(state.apply(command, index), Long.toString(index));
  }

  /** Why an entry that needs cluster version {@code needed} cannot be applied here. */
  static String needsMore(int needed, int supportedVersion) {
    return "needs cluster version "
        + needed
        + ", and this master's release supports up to "
        + supportedVersion;
  }

  private static IncompatibleEntryException incompatible(long index, long term, String what) {
    return new IncompatibleEntryException(
        "entry "
            + index
            + " (term "
            + term
            + ") "
            + what
            + ": a master of a later release may have written it; run a release that supports it"
            + " (docs/operations.md, Rolling upgrades)");
  }

  /** The reply of an entry applied as a no-op because its proposer's term was not the entry's. */
  public static final String STALE = "stale:";

  /** A command decided in one term must not take effect from an entry of another. */
  static boolean staleProposal(long proposerTerm, long entryTerm) {
    return proposerTerm != 0 && proposerTerm != entryTerm;
  }

  /**
   * Answers a linearizable read: the term, when this server is still the leader after the read
   * index was confirmed; "-1" otherwise. Used to prove leadership before granting a lease.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    return getServer()
        .thenApply(
            server -> {
              try {
                var info = server.getDivision(getGroupId()).getInfo();
                return Message.valueOf(
                    info.isLeader() ? Long.toString(info.getCurrentTerm()) : "-1");
              } catch (IOException e) {
                return Message.valueOf("-1");
              }
            });
  }

  @Override
  public void notifyLeaderReady() {
    Listener l = listener;
    if (l != null) {
      l.leaderReady();
    }
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    Listener l = listener;
    if (l != null) {
      l.leaderChanged(newLeaderId);
    }
  }

  /**
   * A command the state refuses. Ratis carries only the class name and message from the leader to
   * the client, so the field travels inside the message as {@code [field] message}.
   */
  public static final class InvalidCommandException extends StateMachineException {
    private static final long serialVersionUID = 1L;
    private static final Pattern FORMAT =
        Pattern.compile("\\[([A-Za-z0-9_.]+)\\] (.*)", Pattern.DOTALL);

    public InvalidCommandException(String message) {
      super(message);
    }

    static InvalidCommandException of(Rejection r) {
      return new InvalidCommandException("[" + r.field() + "] " + r.message());
    }

    /** The rejection carried by {@code t}'s message, if it is one of ours. */
    static Optional<Rejection> parse(Throwable t) {
      if (t.getMessage() == null
          || !t.getClass().getName().contains("StateMachineException")
              && !(t instanceof InvalidCommandException)) {
        return Optional.empty();
      }
      Matcher m = FORMAT.matcher(t.getMessage());
      return m.find() ? Optional.of(new Rejection(m.group(1), m.group(2))) : Optional.empty();
    }
  }
}
