package io.multiconnect.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shell launcher and the demo start nodes alike. */
class LauncherTest {
  @Test
  void theLauncherGivesItsNodesTheDemosJvmOptions() throws Exception {
    String launcher = Files.readString(Path.of("../../bin/multiconnect"));
    String line = "as_node() { node_flags=(" + String.join(" ", Launcher.NODE_FLAGS) + "); }";
    assertTrue(launcher.contains(line), "bin/multiconnect has: " + line);
    String master =
        "as_master() { as_node; node_flags=("
            + String.join(" ", Launcher.MASTER_FLAGS)
            + " \"${node_flags[@]}\"); }";
    assertTrue(launcher.contains(master), "bin/multiconnect has: " + master);
  }
}
