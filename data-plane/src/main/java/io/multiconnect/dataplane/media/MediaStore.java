package io.multiconnect.dataplane.media;

import io.multiconnect.common.node.PrivateDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The cluster's media: one directory every webapp and coreapp reads, as the original mounts one
 * shared volume on every node (a network file system across hosts; the demo's run directory on
 * one). A medium is two files under {@code DIR/XY/} ({@code XY} the first two characters of its
 * id): {@code ID.type} (its content type) and {@code ID} (its bytes), each written whole to a
 * temporary file and moved into place, the bytes last, so a reader sees a medium whole or not at
 * all. Ids are random UUIDs: they name a medium, not a node, and stay valid across failovers, moves
 * and resharding.
 */
public final class MediaStore {
  /** The environment variable naming the directory (every webapp and coreapp the same). */
  public static final String DIR_ENV = "MC_MEDIA_DIR";

  private static final Pattern ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  /** A stored medium: its content type, size and where its bytes are. */
  public record Medium(String id, String contentType, long size, Path file) {}

  /** An upload larger than its limit: nothing was stored. */
  public static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(long limit) {
      super("larger than " + limit + " bytes");
    }
  }

  /** An upload of no bytes: nothing was stored. */
  public static final class Empty extends IOException {
    private static final long serialVersionUID = 1L;

    Empty() {
      super("no bytes");
    }
  }

  private final Path dir;

  private MediaStore(Path dir) {
    this.dir = dir;
  }

  /** The store in {@code dir}, made (owner only) when missing. */
  public static MediaStore in(Path dir) throws IOException {
    PrivateDirectory.of(dir);
    return new MediaStore(dir);
  }

  /** The store in {@code MC_MEDIA_DIR}, {@code run/media} by default. */
  public static MediaStore fromEnv(Map<String, String> env) throws IOException {
    return in(Path.of(env.getOrDefault(DIR_ENV, "run/media")));
  }

  public Path dir() {
    return dir;
  }

  /** Whether {@code id} has the shape of a medium's id (anything else is never one). */
  public static boolean isId(String id) {
    return ID.matcher(id).matches();
  }

  /**
   * Stores what {@code bytes} holds up to its end, at least one byte ({@link Empty}) and at most
   * {@code limit} ({@link TooLarge}; nothing kept either way), as {@code contentType}; its new id.
   */
  public String put(InputStream bytes, String contentType, long limit) throws IOException {
    String id = UUID.randomUUID().toString();
    Path shard = PrivateDirectory.of(dir.resolve(id.substring(0, 2)));
    Path tmp = Files.createTempFile(shard, ".upload-", ".tmp");
    try {
      copyAtMost(bytes, tmp, limit);
      Path type = Files.createTempFile(shard, ".type-", ".tmp");
      try {
        Files.writeString(type, contentType, StandardCharsets.UTF_8);
        Files.move(type, shard.resolve(id + ".type"), StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(type);
      }
      Files.move(tmp, shard.resolve(id), StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return id;
  }

  private static void copyAtMost(InputStream in, Path to, long limit) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    try (OutputStream out = Files.newOutputStream(to)) {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        total += n;
        if (total > limit) {
          throw new TooLarge(limit);
        }
        out.write(buffer, 0, n);
      }
    }
    if (total == 0) {
      throw new Empty();
    }
  }

  /** The medium {@code id}, when stored. */
  public Optional<Medium> get(String id) throws IOException {
    if (!isId(id)) {
      return Optional.empty();
    }
    Path shard = dir.resolve(id.substring(0, 2));
    Path file = shard.resolve(id);
    try {
      long size = Files.size(file);
      String type = Files.readString(shard.resolve(id + ".type"), StandardCharsets.UTF_8);
      return Optional.of(new Medium(id, type, size, file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Deletes the medium {@code id}; false when there was none. */
  public boolean delete(String id) throws IOException {
    if (!isId(id)) {
      return false;
    }
    Path shard = dir.resolve(id.substring(0, 2));
    boolean existed = Files.deleteIfExists(shard.resolve(id));
    Files.deleteIfExists(shard.resolve(id + ".type"));
    return existed;
  }
}
