package io.multiconnect.master.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.multiconnect.master.core.ClusterState;
import io.multiconnect.master.core.ClusterVersion;
import java.io.File;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state machine answers Ratis's frequent look-ups of its newest snapshot from memory, and from
 * the disk while Ratis installs one from the leader: between the moment the installed snapshot is
 * in place and {@code reinitialize}, Ratis may compare logs for a vote with it.
 */
class SnapshotLookupTest {
  @TempDir Path dir;
  private RaftStorage raftStorage;

  @AfterEach
  void close() throws Exception {
    if (raftStorage != null) {
      raftStorage.close();
    }
  }

  private MasterStateMachine started() throws Exception {
    raftStorage =
        RaftStorage.newBuilder()
            .setDirectory(dir.toFile())
            .setOption(RaftStorage.StartupOption.FORMAT)
            .setLogCorruptionPolicy(RaftServerConfigKeys.Log.CorruptionPolicy.EXCEPTION)
            .setStorageFreeSpaceMin(SizeInBytes.ONE_MB)
            .build();
    raftStorage.initialize();
    MasterStateMachine machine = new MasterStateMachine(ClusterVersion.SUPPORTED);
    machine.initialize(named("m1"), RaftGroupId.randomId(), raftStorage);
    return machine;
  }

  /**
   * A server that only has a name: the state machine asks its server for nothing else here (its
   * name goes in its log lines); what is tested is the state machine and its real storage.
   */
  private static RaftServer named(String id) {
    return (RaftServer)
        Proxy.newProxyInstance(
            RaftServer.class.getClassLoader(),
            new Class<?>[] {RaftServer.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getId")) {
                return RaftPeerId.valueOf(id);
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  /**
   * Puts a snapshot of the initial state at (term 1, {@code index}) in place, as an install does.
   */
  private static void place(MasterStateMachine machine, long index) throws Exception {
    SimpleStateMachineStorage storage =
        (SimpleStateMachineStorage) machine.getStateMachineStorage();
    File file = storage.getSnapshotFile(1, index);
    try (OutputStream out = Files.newOutputStream(file.toPath())) {
      CommandCodec.encode(ClusterState.INITIAL).writeTo(out);
    }
    MD5FileUtil.computeAndSaveMd5ForFile(file);
  }

  @Test
  void aSnapshotInstalledWhilePausedIsFoundBeforeTheReload() throws Exception {
    MasterStateMachine machine = started();
    assertNull(machine.getLatestSnapshot(), "a new cluster has none");

    machine.pause();
    place(machine, 42);
    assertEquals(42, machine.getLatestSnapshot().getIndex(), "in place, not yet reloaded");

    machine.reinitialize();
    assertEquals(42, machine.getLatestSnapshot().getIndex());
  }

  @Test
  void aFileNobodyAnnouncedIsNotLookedFor() throws Exception {
    MasterStateMachine machine = started();
    assertNull(machine.getLatestSnapshot());
    place(machine, 7); // behind the state machine's back: only a pause makes it look again
    assertNull(machine.getLatestSnapshot(), "answered from memory, without a directory listing");
  }
}
