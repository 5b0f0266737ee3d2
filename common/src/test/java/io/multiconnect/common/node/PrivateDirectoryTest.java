package io.multiconnect.common.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateDirectoryTest {
  @TempDir Path tmp;

  @Test
  void aNewDirectoryAndAnOpenOneBothEndOwnerOnly() throws Exception {
    Path made = PrivateDirectory.of(tmp.resolve("a/b"));
    assertEquals("rwx------", perms(made));
    Path open =
        Files.createDirectory(
            tmp.resolve("open"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    PrivateDirectory.of(open);
    assertEquals("rwx------", perms(open));
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
