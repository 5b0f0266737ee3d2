package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.multiconnect.ca.CaFiles;
import io.multiconnect.ca.CaMain;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.webapp.HttpsCertificate;
import io.multiconnect.dataplane.webapp.WebappServer;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webapp over HTTPS with an operator's PEM files: only TLS on its port, and a renewed
 * certificate served without a restart, a broken one never.
 */
class HttpsTest {
  private static final String API_KEY = "https-test-key-0123";

  @Test
  void servesHttpsOnlyAndTakesARenewedCertificateWithoutARestart(@TempDir Path dir)
      throws Exception {
    Path ca = dir.resolve("ca");
    assertEquals(0, CaMain.run("init", "--dir", ca.toString()));
    NodeIdentity id = new NodeIdentity(NodeIdentity.Role.WEBAPP, "w1");
    CaFiles files = new CaFiles(ca);
    Path cert = dir.resolve("https.crt");
    Path key = dir.resolve("https.key");
    BigInteger first = issue(ca, files, id, cert, key);
    try (WebappServer webapp =
        new WebappServer(
                "127.0.0.1",
                0,
                List.of("127.0.0.1:1"), // no master: health answers from the webapp alone
                "w1",
                Optional.of(API_KEY),
                Optional.empty(),
                NodeClock.system(),
                TestTls.PLAINTEXT,
                HttpsCertificate.fromEnv(
                    Map.of(
                        "MC_WEBAPP_HTTPS_CERT",
                        cert.toString(),
                        "MC_WEBAPP_HTTPS_KEY",
                        key.toString()),
                    Duration.ofMillis(200)))
            .start()) {
      X509Certificate client = CaFiles.certificates(ca.resolve(CaFiles.CA_CERT)).get(0);
      URI health = URI.create("https://127.0.0.1:" + webapp.port() + "/v1/health");
      assertEquals(first, servedSerial(client, health));
      assertThrows(
          IOException.class,
          () ->
              HttpClient.newHttpClient()
                  .send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + webapp.port() + "/v1/health"))
                          .timeout(Duration.ofSeconds(5))
                          .build(),
                      HttpResponse.BodyHandlers.ofString()),
          "no plain HTTP on the HTTPS port");

      Files.writeString(key, "not a key"); // half a renewal: the old certificate stays
      await()
          .during(Duration.ofMillis(600))
          .atMost(Duration.ofSeconds(2))
          .until(() -> first.equals(servedSerial(client, health)));
      BigInteger renewed = issue(ca, files, id, cert, key);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> renewed.equals(servedSerial(client, health)));
    }
  }

  /** Issues a certificate for {@code id} and copies it and its key to {@code cert}, {@code key}. */
  private static BigInteger issue(Path ca, CaFiles files, NodeIdentity id, Path cert, Path key)
      throws IOException {
    assertEquals(
        0,
        CaMain.run(
            "issue",
            "--dir",
            ca.toString(),
            "--role",
            "webapp",
            "--id",
            "w1",
            "--host",
            "127.0.0.1"));
    Files.copy(files.certificate(id), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(files.key(id), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return CaFiles.certificates(cert).get(0).getSerialNumber();
  }

  /**
   * The serial of the certificate a new connection that trusts {@code ca} is served (a new TLS
   * context each time: no session resumed), after a 200 from health.
   */
  private static BigInteger servedSerial(X509Certificate ca, URI health) throws Exception {
    HttpResponse<String> r =
        HttpClient.newBuilder()
            .sslContext(trusting(ca))
            .build()
            .send(
                HttpRequest.newBuilder(health)
                    .header("Authorization", "Apikey " + API_KEY)
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    SSLSession session = r.sslSession().orElseThrow();
    return ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber();
  }

  /** A TLS context that trusts {@code ca} alone. */
  private static SSLContext trusting(X509Certificate ca) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
