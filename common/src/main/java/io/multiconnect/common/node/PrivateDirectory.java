package io.multiconnect.common.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A directory only its owner may enter (0700): a master's Raft log and snapshots (users' password
 * hashes, the token key), a CA's keys. Made if missing, narrowed if it exists.
 */
public final class PrivateDirectory {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  private PrivateDirectory() {}

  /** {@code dir}, 0700, with its parents made as the umask says. */
  public static Path of(Path dir) throws IOException {
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    Files.setPosixFilePermissions(dir, OWNER_ONLY);
    return dir;
  }
}
