package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiconnect.ca.CaFiles;
import io.multiconnect.ca.CaMain;
import io.multiconnect.common.auth.ApiKey;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.TestTls;
import io.multiconnect.dataplane.media.MediaStore;
import io.multiconnect.dataplane.webapp.HttpsCertificate;
import io.multiconnect.dataplane.webapp.WebappServer;
import io.multiconnect.master.MiniCluster;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.master.config.PeerAddress;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
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
    Pki pki = Pki.in(dir);
    BigInteger first = pki.issue();
    try (WebappServer webapp =
        webapp(List.of("127.0.0.1:1"), pki, dir)) { // no master: health answers alone
      X509Certificate client = CaFiles.certificates(pki.ca().resolve(CaFiles.CA_CERT)).get(0);
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

      Files.writeString(pki.key(), "not a key"); // half a renewal: the old certificate stays
      await()
          .during(Duration.ofMillis(600))
          .atMost(Duration.ofSeconds(2))
          .until(() -> first.equals(servedSerial(client, health)));
      BigInteger renewed = pki.issue();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> renewed.equals(servedSerial(client, health)));
    }
  }

  /**
   * An admin uploads a bundle (key, certificate, the CA that signed it) through the REST API; the
   * masters keep it and the webapp serves it in preference to its files, without a restart. A
   * bundle that could not serve is refused before it is stored.
   */
  @Test
  void anUploadedCertificateIsServedByTheWebappWithoutARestart(@TempDir Path dir) throws Exception {
    Pki pki = Pki.in(dir);
    BigInteger first = pki.issue();
    X509Certificate root = CaFiles.certificates(pki.ca().resolve(CaFiles.CA_CERT)).get(0);
    try (MiniCluster masters =
            MiniCluster.start(
                3,
                dir.resolve("masters"),
                MasterConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                Optional.empty());
        WebappServer webapp =
            webapp(masters.peers.stream().map(PeerAddress::apiAddress).toList(), pki, dir)) {
      String base = "https://127.0.0.1:" + webapp.port();
      URI health = URI.create(base + "/v1/health");
      String admin = "Bearer " + masters.adminToken();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  call(root, "GET", base + "/v1/account/shards", admin, null).statusCode() == 200);
      assertEquals(
          404, call(root, "GET", base + "/v1/certificates/external/ca", admin, null).statusCode());

      BigInteger uploaded = pki.issue();
      String ownKey = Files.readString(pki.key());
      String ownCert = Files.readString(pki.cert());
      String caPem = Files.readString(pki.ca().resolve(CaFiles.CA_CERT));
      HttpResponse<String> noIntermediate =
          call(root, "POST", base + "/v1/certificates/external", admin, ownKey + ownCert);
      assertEquals(400, noIntermediate.statusCode(), noIntermediate.body());
      assertTrue(noIntermediate.body().contains("intermediate"), noIntermediate.body());
      HttpResponse<String> ok =
          call(root, "POST", base + "/v1/certificates/external", admin, ownKey + ownCert + caPem);
      assertEquals(200, ok.statusCode(), ok.body());
      assertEquals("null", ok.body());
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> uploaded.equals(servedSerial(root, health)));
      HttpResponse<String> chain =
          call(root, "GET", base + "/v1/certificates/external/ca", admin, null);
      assertEquals(200, chain.statusCode());
      assertEquals(
          root,
          CertificateFactory.getInstance("X.509")
              .generateCertificate(
                  new java.io.ByteArrayInputStream(
                      chain.body().getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
      assertTrue(!uploaded.equals(first));
    }
  }

  /** A webapp serving HTTPS with {@code pki}'s files, read again every 200 ms. */
  private static WebappServer webapp(List<String> masters, Pki pki, Path dir) throws IOException {
    return new WebappServer(
            "127.0.0.1",
            0,
            masters,
            "w1",
            ApiKey.of(API_KEY),
            Optional.empty(),
            NodeClock.system(),
            TestTls.PLAINTEXT,
            HttpsCertificate.fromEnv(
                Map.of(
                    "MC_WEBAPP_HTTPS_CERT", pki.cert().toString(),
                    "MC_WEBAPP_HTTPS_KEY", pki.key().toString()),
                Duration.ofMillis(200)),
            MediaStore.in(dir.resolve("media")))
        .start();
  }

  private static HttpResponse<String> call(
      X509Certificate ca, String method, String url, String authorization, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", authorization)
            .header("Content-Type", "text/plain")
            .timeout(Duration.ofSeconds(10));
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HttpClient.newBuilder()
        .sslContext(trusting(ca))
        .build()
        .send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A CA and the webapp's HTTPS files issued by it. */
  private record Pki(Path ca, Path cert, Path key) {
    static Pki in(Path dir) {
      Path ca = dir.resolve("ca");
      assertEquals(0, CaMain.run("init", "--dir", ca.toString()));
      return new Pki(ca, dir.resolve("https.crt"), dir.resolve("https.key"));
    }

    /** Issues a new certificate for the webapp into the HTTPS files; returns its serial. */
    BigInteger issue() throws IOException {
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
      NodeIdentity id = new NodeIdentity(NodeIdentity.Role.WEBAPP, "w1");
      CaFiles files = new CaFiles(ca);
      Files.copy(files.certificate(id), cert, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(files.key(id), key, StandardCopyOption.REPLACE_EXISTING);
      return CaFiles.certificates(cert).get(0).getSerialNumber();
    }
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
