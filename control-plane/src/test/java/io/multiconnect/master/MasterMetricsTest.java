package io.multiconnect.master;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.master.core.Command;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MasterMetricsTest {
  @Test
  void aCommittedCommandNamesWhyAShardsPrimaryChanged() {
    assertEquals(
        Optional.of("failover"),
        MasterMetrics.primaryChange(new Command.AssignPrimary(0, "c2", 7)));
    assertEquals(
        Optional.of("assign"), MasterMetrics.primaryChange(new Command.AssignPrimary(1, "c2", 0)));
    assertEquals(
        Optional.of("failover_no_spare"),
        MasterMetrics.primaryChange(new Command.RemovePrimary(0, 7)));
    assertEquals(
        Optional.of("release"),
        MasterMetrics.primaryChange(new Command.ConfirmRelease("c1", "i", 7, true, List.of())));
    assertEquals(
        Optional.of("move"), MasterMetrics.primaryChange(new Command.MovePrimary(0, "c3", 7)));
    assertEquals(Optional.of("reshard"), MasterMetrics.primaryChange(new Command.SetShardCount(4)));
    assertEquals(Optional.empty(), MasterMetrics.primaryChange(new Command.SetDrained("c1", true)));
  }
}
