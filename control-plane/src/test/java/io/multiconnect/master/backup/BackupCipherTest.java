package io.multiconnect.master.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class BackupCipherTest {
  private static final byte[] PLAIN = "settings, users, shards".getBytes(StandardCharsets.UTF_8);

  @Test
  void whatIsSealedOpensWithItsPasswordAlone() throws Exception {
    String sealed = BackupCipher.seal(PLAIN, "correct horse");
    assertArrayEquals(PLAIN, BackupCipher.open(sealed, "correct horse"));
    assertNotEquals(sealed, BackupCipher.seal(PLAIN, "correct horse"), "a fresh salt and nonce");
    assertTrue(
        assertThrows(BackupCipher.Unreadable.class, () -> BackupCipher.open(sealed, "wrong"))
            .wrongPassword());
  }

  @Test
  void aChangedByteOrAnotherFormatIsRefused() {
    String sealed = BackupCipher.seal(PLAIN, "pw");
    byte[] bytes = Base64.getDecoder().decode(sealed);
    bytes[bytes.length - 20] ^= 1;
    String changed = Base64.getEncoder().encodeToString(bytes);
    assertThrows(BackupCipher.Unreadable.class, () -> BackupCipher.open(changed, "pw"));
    bytes[0] = 'X';
    String otherFormat = Base64.getEncoder().encodeToString(bytes);
    assertFalse(
        assertThrows(BackupCipher.Unreadable.class, () -> BackupCipher.open(otherFormat, "pw"))
            .wrongPassword());
    assertFalse(
        assertThrows(BackupCipher.Unreadable.class, () -> BackupCipher.open("not base64!", "pw"))
            .wrongPassword());
    assertFalse(
        assertThrows(BackupCipher.Unreadable.class, () -> BackupCipher.open("TUNCMQ==", "pw"))
            .wrongPassword(),
        "the marker alone");
  }
}
