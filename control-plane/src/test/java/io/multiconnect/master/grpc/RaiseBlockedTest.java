package io.multiconnect.master.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.proto.v1.MasterStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Whether every master of the group lets the cluster version be raised. */
class RaiseBlockedTest {
  private static MasterStatus master(String id, int supported) {
    return MasterStatus.newBuilder().setId(id).setSupportedClusterVersion(supported).build();
  }

  @Test
  void everyMasterMustAnswerWithAReleaseThatSupportsTheVersion() {
    assertEquals(
        Optional.empty(),
        AdminService.raiseBlockedBy(
            List.of("m1", "m2"), List.of(master("m1", 2), master("m2", 3)), 2));
    assertEquals(
        Optional.of(
            "master m2 runs a release that supports cluster version 1 at most: upgrade it before"
                + " raising the cluster version to 2"),
        AdminService.raiseBlockedBy(
            List.of("m1", "m2"), List.of(master("m1", 2), master("m2", 1)), 2));
    MasterStatus down =
        MasterStatus.newBuilder()
            .setId("m3")
            .setRole("unreachable")
            .setError("UNAVAILABLE")
            .build();
    assertEquals(
        Optional.of(
            "master m3 did not answer (UNAVAILABLE): every master must report its release before"
                + " the cluster version is raised"),
        AdminService.raiseBlockedBy(List.of("m1", "m3"), List.of(master("m1", 2), down), 2));
    assertEquals(
        Optional.of("master m4 has no known address: it cannot report its release"),
        AdminService.raiseBlockedBy(List.of("m1", "m4"), List.of(master("m1", 2)), 2));
  }
}
