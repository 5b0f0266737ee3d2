package io.multiconnect.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MirrorUsersTest {
  @Test
  void theAccountsSqlCarriesHashesNotPasswords() {
    // MySQL's PASSWORD('password'), as documented for mysql_native_password.
    assertEquals("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", MirrorUsers.nativeHash("password"));
    MirrorUsers users = MirrorUsers.random();
    String sql = users.accountsSql(true);
    assertFalse(sql.contains(users.masterPassword()));
    assertFalse(sql.contains(users.coreappPassword()));
    assertFalse(sql.contains(users.webappPassword()));
  }

  @Test
  void passwordsThatCouldBreakTheSqlAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new MirrorUsers("abcdefghijklmnop'; DROP", "abcdefghijklmnop", "abcdefghijklmnop"));
  }
}
