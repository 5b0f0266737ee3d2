package io.multiconnect.dataplane.coreapp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseJournalTest {

  @Test
  void claimsAreRenewedAndClosedWhereTheCoreappStopped(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("journal.jsonl");
    LeaseJournal j = new LeaseJournal("c1", "9f3a", file);
    j.stopped(5); // not acting: nothing to write
    j.acting(0, 2, 7, 100, 10);
    j.acting(0, 2, 7, 100, 20); // same lease end: no new line
    j.acting(0, 2, 7, 150, 60); // renewed
    j.acting(1, 2, 8, 300, 120); // a new epoch closes the old claim at 120
    j.stopped(400); // after the lease ran out at 300: the claim ends at 300
    List<String> lines = Files.readAllLines(file);
    String prefix =
        "{\"time\":%d,\"type\":\"OK\",\"process\":\"c1/9f3a\",\"op\":\"lease\",\"node\":\"c1\",";
    assertEquals(
        List.of(
            String.format(prefix, 10) + "\"shard\":0,\"shardCount\":2,\"epoch\":7,\"until\":100}",
            String.format(prefix, 10) + "\"shard\":0,\"shardCount\":2,\"epoch\":7,\"until\":150}",
            String.format(prefix, 10)
                + "\"shard\":0,\"shardCount\":2,\"epoch\":7,\"until\":120,\"value\":\"closed\"}",
            String.format(prefix, 120) + "\"shard\":1,\"shardCount\":2,\"epoch\":8,\"until\":300}",
            String.format(prefix, 120)
                + "\"shard\":1,\"shardCount\":2,\"epoch\":8,\"until\":300,\"value\":\"closed\"}"),
        lines);
  }
}
