package io.multiconnect.master.backup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A backup's encryption: AES-256-GCM under a key derived from the operator's password with
 * PBKDF2-HMAC-SHA256 ({@value #ITERATIONS} iterations, a random 16-byte salt), a random 12-byte
 * nonce. The text is Base64 of {@code "MCB1" | salt | nonce | ciphertext and tag}; the format
 * marker is authenticated too, so neither it nor any other byte can change unnoticed.
 */
public final class BackupCipher {
  private BackupCipher() {}

  /** The format marker: a later format gets another. */
  private static final byte[] MAGIC = "MCB1".getBytes(StandardCharsets.US_ASCII);

  /** OWASP's figure for PBKDF2-HMAC-SHA256 (2023). */
  static final int ITERATIONS = 600_000;

  private static final int SALT = 16;
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Why a text is not a backup this password opens. */
  public static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean wrongPassword;

    Unreadable(String message, boolean wrongPassword) {
      super(message);
      this.wrongPassword = wrongPassword;
    }

    /** Whether the text has the format and did not decrypt: the password (or a changed byte). */
    public boolean wrongPassword() {
      return wrongPassword;
    }
  }

  /** {@code plain} encrypted with {@code password}, as Base64 text. */
  public static String seal(byte[] plain, String password) {
    byte[] salt = random(SALT);
    byte[] nonce = random(NONCE);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, password, salt, nonce);
      byte[] sealed = c.doFinal(plain);
      return Base64.getEncoder()
          .encodeToString(
              ByteBuffer.allocate(MAGIC.length + SALT + NONCE + sealed.length)
                  .put(MAGIC)
                  .put(salt)
                  .put(nonce)
                  .put(sealed)
                  .array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM and PBKDF2 come with every Java runtime", e);
    }
  }

  /** The bytes {@code text} holds, decrypted with {@code password}. */
  public static byte[] open(String text, String password) throws Unreadable {
    byte[] all;
    try {
      all = Base64.getDecoder().decode(text.strip());
    } catch (IllegalArgumentException e) {
      throw new Unreadable("not Base64", false);
    }
    int head = MAGIC.length + SALT + NONCE;
    if (all.length < head + TAG_BITS / 8
        || !Arrays.equals(Arrays.copyOfRange(all, 0, MAGIC.length), MAGIC)) {
      throw new Unreadable("not a backup of this cluster's format (MCB1)", false);
    }
    byte[] salt = Arrays.copyOfRange(all, MAGIC.length, MAGIC.length + SALT);
    byte[] nonce = Arrays.copyOfRange(all, MAGIC.length + SALT, head);
    try {
      return cipher(Cipher.DECRYPT_MODE, password, salt, nonce)
          .doFinal(all, head, all.length - head);
    } catch (GeneralSecurityException e) {
      throw new Unreadable("it does not decrypt with this password, or it was changed", true);
    }
  }

  private static Cipher cipher(int mode, String password, byte[] salt, byte[] nonce)
      throws GeneralSecurityException {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, 256);
    byte[] key;
    try {
      key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } finally {
      spec.clearPassword();
    }
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    Arrays.fill(key, (byte) 0);
    c.updateAAD(MAGIC);
    return c;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
