package io.multiconnect.common.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class RecentLinesTest {
  @Test
  void keepsTheLastLinesWithinBothBounds() {
    RecentLines byCount = new RecentLines(3, 1_000);
    for (int i = 1; i <= 5; i++) {
      byCount.add("line " + i);
    }
    assertEquals("line 3\nline 4\nline 5\n", byCount.text());

    RecentLines bySize = new RecentLines(100, 10);
    bySize.add("aaaa");
    bySize.add("bbbb");
    bySize.add("cccc");
    assertEquals("bbbb\ncccc\n", bySize.text(), "12 characters are over 10: the oldest goes");
  }

  @Test
  void aLineLongerThanTheWholeBoundIsKeptClipped() {
    RecentLines lines = new RecentLines(100, 5);
    lines.add("first");
    lines.add("0123456789");
    assertEquals("01234\n", lines.text());
  }

  @Test
  void theFactoryKeepsWhatItsLoggersWrite() {
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    NodeLoggerFactory f =
        new NodeLoggerFactory(Level.INFO, LogFormat.KV, new PrintStream(written, true, UTF_8));
    f.getLogger("io.multiconnect.X").info("granted shard {}", 3);
    f.getLogger("io.multiconnect.X").debug("not at INFO");
    assertEquals(written.toString(UTF_8), f.recent());
    assertEquals(1, f.recent().lines().count(), f.recent());
  }
}
