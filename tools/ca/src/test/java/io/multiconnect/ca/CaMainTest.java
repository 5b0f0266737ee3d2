package io.multiconnect.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/multiconnect ca} as an operator runs it: files, permissions, errors. */
class CaMainTest {
  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  private static Run ca(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = CaMain.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void initIssueAndListLeaveOwnerOnlyFilesThatVerify() throws Exception {
    Path dir = tmp.resolve("ca");
    Run init = ca("init", "--dir", dir.toString(), "--name", "lab");
    assertEquals(0, init.exit(), init.err());
    assertTrue(init.out().contains("Multiconnect cluster CA lab"), init.out());
    Run again = ca("init", "--dir", dir.toString());
    assertEquals(1, again.exit());
    assertTrue(again.err().contains("a CA exists here already"), again.err());

    Run issue =
        ca(
            "issue",
            "--dir",
            dir.toString(),
            "--role",
            "coreapp",
            "--id",
            "c1",
            "--host",
            "c1.lab",
            "--host",
            "127.0.0.1",
            "--days",
            "30");
    assertEquals(0, issue.exit(), issue.err());
    assertTrue(issue.out().startsWith("issued spiffe://multiconnect/coreapp/c1"), issue.out());

    assertEquals("rwx------", perms(dir));
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> all = files.toList();
      assertEquals(4, all.size(), all.toString()); // ca.crt, ca.key, coreapp-c1.crt/.key
      for (Path f : all) {
        assertEquals("rw-------", perms(f), f.toString());
      }
    }
    CaFiles files = new CaFiles(dir);
    NodeIdentity c1 = new NodeIdentity(Role.COREAPP, "c1");
    X509Certificate cert = CaFiles.certificates(files.certificate(c1)).get(0);
    cert.verify(files.readCa().certificate().getPublicKey());
    assertEquals(Optional.of(c1), NodeIdentity.of(cert));
    assertEquals("EC", CaFiles.privateKey(files.key(c1)).getAlgorithm());

    Run list = ca("list", "--dir", dir.toString());
    assertEquals(0, list.exit(), list.err());
    assertTrue(
        list.out()
            .lines()
            .anyMatch(l -> l.startsWith("spiffe://multiconnect/coreapp/c1") && l.contains(" yes ")),
        list.out());
  }

  @Test
  void bundleJoinsTwoCasForARotationAndRefusesANodeCertificate() throws Exception {
    Path old = tmp.resolve("old");
    Path next = tmp.resolve("next");
    assertEquals(0, ca("init", "--dir", old.toString()).exit());
    assertEquals(0, ca("init", "--dir", next.toString()).exit());
    Path bundle = tmp.resolve("bundle.crt");
    Run run =
        ca(
            "bundle",
            "--out",
            bundle.toString(),
            old.resolve("ca.crt").toString(),
            next.resolve("ca.crt").toString(),
            old.resolve("ca.crt").toString());
    assertEquals(0, run.exit(), run.err());
    assertEquals(2, CaFiles.certificates(bundle).size(), "each CA once");

    assertEquals(
        0,
        ca("issue", "--dir", old.toString(), "--role", "master", "--id", "m1", "--host", "m1")
            .exit());
    Run notCa = ca("bundle", "--out", bundle.toString(), old.resolve("master-m1.crt").toString());
    assertEquals(2, notCa.exit());
    assertTrue(notCa.err().contains("is not a CA certificate"), notCa.err());
  }

  @Test
  void badArgumentsExitTwoWithTheFieldNamed() {
    Path dir = tmp.resolve("ca");
    assertEquals(0, ca("init", "--dir", dir.toString()).exit());
    Run role = ca("issue", "--dir", dir.toString(), "--role", "root", "--id", "x", "--host", "h");
    assertEquals(2, role.exit());
    assertTrue(role.err().startsWith("ca: role: one of master"), role.err());
    Run id =
        ca("issue", "--dir", dir.toString(), "--role", "webapp", "--id", "../w", "--host", "h");
    assertEquals(2, id.exit());
    assertTrue(id.err().startsWith("ca: id:"), id.err());
    Run host =
        ca("issue", "--dir", dir.toString(), "--role", "webapp", "--id", "w1", "--host", "a b");
    assertEquals(2, host.exit());
    assertTrue(host.err().startsWith("ca: host:"), host.err());
    Run noCa =
        ca(
            "issue",
            "--dir",
            tmp.resolve("none").toString(),
            "--role",
            "webapp",
            "--id",
            "w1",
            "--host",
            "w1");
    assertEquals(1, noCa.exit());
    assertTrue(noCa.err().contains("run 'ca init' first"), noCa.err());
    assertEquals(2, ca().exit());
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
