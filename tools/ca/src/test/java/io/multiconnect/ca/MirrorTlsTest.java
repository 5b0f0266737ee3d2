package io.multiconnect.ca;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.mirror.MirrorTls;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import io.multiconnect.common.tls.NodeTls;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mirror's JDBC URL as a node uses it: verified TLS with the cluster's CAs when the URL leaves
 * it open, the operator's choice when the URL makes one, and a trust store that follows a rotation.
 */
class MirrorTlsTest {
  private static final Instant NOW = Instant.now();
  private static final String URL = "jdbc:mysql://db.example:3306/multiconnect?connectTimeout=1000";

  @TempDir Path dir;

  private final ClusterCa ca = ClusterCa.create("one", NOW, Duration.ofDays(30));
  private final ClusterCa next = ClusterCa.create("two", NOW, Duration.ofDays(30));

  @Test
  void aNodeWithTlsVerifiesTheDatabaseWithTheClusterCasAndFollowsARotation() throws Exception {
    NodeIdentity master = new NodeIdentity(Role.MASTER, "m1");
    CaFiles files = new CaFiles(dir.resolve("m1"));
    files.writeNode(master, ca.issue(master, List.of("localhost"), NOW, Duration.ofDays(1)));
    Path trust = files.dir().resolve("trust.crt");
    files.write(trust, CaFiles.pem(List.of(ca.certificate())));
    try (NodeTls tls =
        NodeTls.of(
            new NodeTls.Files(files.certificate(master), files.key(master), trust),
            Duration.ofMillis(200))) {
      MirrorSettings secured =
          MirrorTls.secured(new MirrorSettings(URL, "mc_master", "pw"), tls, "test");

      Map<String, String> params = params(secured.jdbcUrl());
      assertTrue(secured.jdbcUrl().startsWith(URL + "&"), secured.jdbcUrl());
      assertEquals("VERIFY_IDENTITY", params.get("sslMode"));
      assertEquals("PKCS12", params.get("trustCertificateKeyStoreType"));
      assertEquals("mc_master", secured.user());
      Path store = Path.of(URI.create(params.get("trustCertificateKeyStoreUrl")));
      assertEquals(
          "rwx------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(store.getParent())));
      String password = params.get("trustCertificateKeyStorePassword");
      assertEquals(List.of(ca.certificate()), certificates(store, password));

      // A rotation's bundle reaches the store within a refresh.
      files.write(trust, CaFiles.pem(List.of(ca.certificate(), next.certificate())));
      await().atMost(Duration.ofSeconds(10)).until(() -> certificates(store, password).size() == 2);
      assertTrue(certificates(store, password).contains(next.certificate()));
    }
  }

  @Test
  void aUrlThatChoosesItsSslModeIsUsedAsWritten() throws Exception {
    NodeTls plaintext = NodeTls.plaintext("test");
    MirrorSettings chosen = new MirrorSettings(URL + "&sslMode=DISABLED", "u", "p");
    assertSame(chosen, MirrorTls.secured(chosen, plaintext, "test"));
    MirrorSettings open = new MirrorSettings(URL, "u", "p");
    assertSame(open, MirrorTls.secured(open, plaintext, "test"), "TLS off: the driver's default");
  }

  private static Map<String, String> params(String url) {
    Matcher m = Pattern.compile("[?&]([^=&]+)=([^&]*)").matcher(url);
    return m.results().collect(Collectors.toMap(r -> r.group(1), r -> r.group(2)));
  }

  private static List<java.security.cert.Certificate> certificates(Path store, String password)
      throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, password.toCharArray());
    }
    return Collections.list(ks.aliases()).stream()
        .sorted()
        .map(
            a -> {
              try {
                return ks.getCertificate(a);
              } catch (java.security.KeyStoreException e) {
                throw new IllegalStateException(e);
              }
            })
        .toList();
  }
}
