package io.multiconnect.ca;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.CallerRules;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.upstream.AcknowledgeRequest;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.SessionAck;
import io.multiconnect.proto.v1.upstream.SessionRef;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates of the cluster CA on a real gRPC link over loopback: {@link NodeTls} on both ends,
 * {@link CallerRules} on the server. Who calls is known from the certificate alone; a peer without
 * one, with one of another CA, of the wrong role, or claiming another id is refused; a rotation
 * needs no restart.
 */
class MutualTlsTest {
  private static final Instant NOW = Instant.now();
  private static final Duration REFRESH = Duration.ofMillis(200);

  @TempDir Path dir;

  private final ClusterCa ca = ClusterCa.create("one", NOW, Duration.ofDays(30));
  private final ClusterCa next = ClusterCa.create("two", NOW, Duration.ofDays(30));
  private final AtomicReference<Optional<NodeIdentity>> seen = new AtomicReference<>();
  private final List<AutoCloseable> open = new ArrayList<>();
  private NodeTls serverTls;
  private Server server;

  /**
   * Upstream's GetReport for admins, Acknowledge for coreapps acting as themselves (here the
   * session id stands for the coreapp id a request claims).
   */
  private final class Service extends UpstreamGrpc.UpstreamImplBase {
    @Override
    public void getReport(ReportRequest request, StreamObserver<Report> out) {
      seen.set(CallerRules.caller());
      out.onNext(Report.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public void acknowledge(AcknowledgeRequest request, StreamObserver<SessionAck> out) {
      try {
        CallerRules.requireSelf(Role.COREAPP, request.getSessionId());
      } catch (StatusRuntimeException e) {
        out.onError(e);
        return;
      }
      seen.set(CallerRules.caller());
      out.onNext(SessionAck.getDefaultInstance());
      out.onCompleted();
    }
  }

  @BeforeEach
  void serve() throws IOException {
    serverTls = tls(new NodeIdentity(Role.UPSTREAM, "upstream"), ca, "ca.crt", ca);
    server = start(serverTls);
  }

  private Server start(NodeTls tls) throws IOException {
    CallerRules rules =
        new CallerRules()
            .allow(UpstreamGrpc.getGetReportMethod(), Role.ADMIN)
            .allow(UpstreamGrpc.getAcknowledgeMethod(), Role.COREAPP);
    Server s =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), tls.serverCredentials())
            .addService(new Service())
            .intercept(rules.interceptor(tls))
            .build()
            .start();
    open.add(() -> s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return s;
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  /**
   * A node's files from {@code issuer}, trusting the CAs in {@code trustFile}, made from {@code
   * trusted}.
   */
  private NodeTls tls(NodeIdentity id, ClusterCa issuer, String trustFile, ClusterCa... trusted)
      throws IOException {
    CaFiles files = new CaFiles(dir.resolve(id.role().label() + "-" + id.id()));
    files.writeNode(
        id, issuer.issue(id, List.of("localhost", "127.0.0.1"), NOW, Duration.ofDays(1)));
    Path trust = files.dir().resolve(trustFile);
    files.write(trust, CaFiles.pem(List.of(trusted).stream().map(ClusterCa::certificate).toList()));
    NodeTls tls =
        NodeTls.of(new NodeTls.Files(files.certificate(id), files.key(id), trust), REFRESH);
    open.add(tls);
    return tls;
  }

  private UpstreamGrpc.UpstreamBlockingStub client(NodeTls tls, String host) {
    ManagedChannel ch = Endpoints.channel(host + ":" + server.getPort(), tls, PeerCheck.anyNode());
    open.add(() -> ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return UpstreamGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  @Test
  void theServerKnowsItsCallerFromTheCertificateAndAllowsOnlyItsRole() throws IOException {
    NodeIdentity ops = new NodeIdentity(Role.ADMIN, "ops");
    UpstreamGrpc.UpstreamBlockingStub admin = client(tls(ops, ca, "ca.crt", ca), "localhost");
    admin.getReport(ReportRequest.getDefaultInstance());
    assertEquals(Optional.of(ops), seen.get());

    NodeIdentity c1 = new NodeIdentity(Role.COREAPP, "c1");
    UpstreamGrpc.UpstreamBlockingStub coreapp = client(tls(c1, ca, "ca.crt", ca), "127.0.0.1");
    StatusRuntimeException denied =
        assertThrows(
            StatusRuntimeException.class,
            () -> coreapp.getReport(ReportRequest.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    assertEquals(
        "coreapp/c1 may not call multiconnect.v1.Upstream/GetReport (allowed: [ADMIN])",
        denied.getStatus().getDescription());

    coreapp.acknowledge(AcknowledgeRequest.newBuilder().setSessionId("c1").build());
    assertEquals(Optional.of(c1), seen.get());
    StatusRuntimeException other =
        assertThrows(
            StatusRuntimeException.class,
            () -> coreapp.acknowledge(AcknowledgeRequest.newBuilder().setSessionId("c2").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, other.getStatus().getCode());
    assertEquals("coreapp/c1 may not act as coreapp/c2", other.getStatus().getDescription());

    assertEquals(
        Status.Code.PERMISSION_DENIED,
        code(() -> admin.closeSession(SessionRef.getDefaultInstance())),
        "a method no rule lists is refused to everyone");
  }

  private static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append(" | ");
    }
    return b.toString();
  }

  /**
   * A client checks whom it reached: any certificate of the CA that names the host would pass TLS,
   * but only the expected kind of node (or the one node) completes the handshake and gets a call.
   */
  @Test
  void aClientTalksOnlyToTheNodeItExpects() throws IOException {
    NodeTls ops = tls(new NodeIdentity(Role.ADMIN, "ops"), ca, "ca.crt", ca);
    String address = "localhost:" + server.getPort();
    for (PeerCheck expected :
        List.of(
            PeerCheck.role(Role.UPSTREAM),
            PeerCheck.node(Role.UPSTREAM, "upstream"),
            PeerCheck.anyNode())) {
      ManagedChannel ch = Endpoints.channel(address, ops, expected);
      open.add(() -> ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      UpstreamGrpc.newBlockingStub(ch).getReport(ReportRequest.getDefaultInstance());
    }
    for (PeerCheck other :
        List.of(PeerCheck.role(Role.MASTER), PeerCheck.node(Role.UPSTREAM, "u2"))) {
      ManagedChannel ch = Endpoints.channel(address, ops, other);
      open.add(() -> ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      seen.set(null);
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> UpstreamGrpc.newBlockingStub(ch).getReport(ReportRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "the handshake failed");
      assertTrue(causes(e).contains("reached upstream/upstream, expected " + other), causes(e));
      assertEquals(null, seen.get(), "nothing reached the server");
    }
  }

  @Test
  void peersWithoutACertificateOfTheCaOrAtAnotherHostAreRefused() throws IOException {
    NodeIdentity ops = new NodeIdentity(Role.ADMIN, "ops");
    UpstreamGrpc.UpstreamBlockingStub rogue = client(tls(ops, next, "ca.crt", ca), "localhost");
    assertEquals(
        Status.Code.UNAVAILABLE, code(() -> rogue.getReport(ReportRequest.getDefaultInstance())));

    NodeTls plaintext = NodeTls.plaintext("test client");
    UpstreamGrpc.UpstreamBlockingStub clear = client(plaintext, "localhost");
    assertEquals(
        Status.Code.UNAVAILABLE, code(() -> clear.getReport(ReportRequest.getDefaultInstance())));

    // The server's certificate names localhost and 127.0.0.1, not this address.
    UpstreamGrpc.UpstreamBlockingStub wrongHost =
        client(tls(new NodeIdentity(Role.ADMIN, "ops2"), ca, "ca.crt", ca), "127.0.0.2");
    assertEquals(
        Status.Code.UNAVAILABLE,
        code(() -> wrongHost.getReport(ReportRequest.getDefaultInstance())));
  }

  /**
   * A CA rotation as docs/security.md gives it, without a restart: the server trusts the bundle of
   * both CAs, then serves a certificate of the new CA; new connections use each file once read.
   */
  @Test
  void aRotationTakesEffectWithoutARestart() throws IOException {
    NodeIdentity upstream = new NodeIdentity(Role.UPSTREAM, "upstream");
    NodeIdentity ops = new NodeIdentity(Role.ADMIN, "ops");
    NodeTls newAdmin = tls(ops, next, "bundle.crt", ca, next);
    assertEquals(
        Status.Code.UNAVAILABLE,
        code(() -> client(newAdmin, "localhost").getReport(ReportRequest.getDefaultInstance())));

    CaFiles serverFiles = new CaFiles(dir.resolve("upstream-upstream"));
    serverFiles.write(
        serverFiles.dir().resolve("ca.crt"),
        CaFiles.pem(List.of(ca.certificate(), next.certificate())));
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(
            () ->
                client(newAdmin, "localhost").getReport(ReportRequest.getDefaultInstance())
                    != null);

    NodeTls newOnly = tls(new NodeIdentity(Role.ADMIN, "strict"), next, "ca.crt", next);
    assertEquals(
        Status.Code.UNAVAILABLE,
        code(() -> client(newOnly, "localhost").getReport(ReportRequest.getDefaultInstance())),
        "the server still serves the old CA's certificate");
    serverFiles.writeNode(
        upstream, next.issue(upstream, List.of("localhost"), NOW, Duration.ofDays(1)));
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(
            () ->
                client(newOnly, "localhost").getReport(ReportRequest.getDefaultInstance()) != null);
    assertTrue(seen.get().isPresent());
  }

  @Test
  void aNodeRefusesToStartWithACertificateForAnotherNodeOrHost() throws IOException {
    NodeTls c1 = tls(new NodeIdentity(Role.COREAPP, "c1"), ca, "ca.crt", ca);
    c1.requireIdentity(Role.COREAPP, "c1", Optional.of("127.0.0.1"));
    c1.requireIdentity(Role.COREAPP, "c1", Optional.of("LOCALHOST"));
    IllegalArgumentException other =
        assertThrows(
            IllegalArgumentException.class,
            () -> c1.requireIdentity(Role.COREAPP, "c2", Optional.empty()));
    assertTrue(other.getMessage().endsWith("is for coreapp/c1, this node is coreapp/c2"));
    IllegalArgumentException host =
        assertThrows(
            IllegalArgumentException.class,
            () -> c1.requireIdentity(Role.COREAPP, "c1", Optional.of("c1.example")));
    assertTrue(
        host.getMessage().endsWith("does not name the host 'c1.example' this node serves at"));
    NodeTls.plaintext("test").requireIdentity(Role.COREAPP, "anything", Optional.of("x"));
  }

  @Test
  void hostsCompareAsAddressesAndBracketsOnlyHoldIpv6() {
    NodeIdentity c1 = new NodeIdentity(Role.COREAPP, "c1");
    X509Certificate cert =
        ca.issue(c1, List.of("c1.example", "fd00::5", "10.0.0.5"), NOW, Duration.ofDays(1))
            .certificate();
    assertTrue(CallerRules.namesHost(cert, "[fd00:0:0:0:0:0:0:5]"));
    assertTrue(CallerRules.namesHost(cert, "[FD00::5]"));
    assertTrue(CallerRules.namesHost(cert, "C1.Example"));
    assertTrue(CallerRules.namesHost(cert, "10.0.0.5"));
    assertFalse(CallerRules.namesHost(cert, "fd00::5"), "an IPv6 host of an address is bracketed");
    assertFalse(CallerRules.namesHost(cert, "[c1.example]"));
    assertFalse(CallerRules.namesHost(cert, "[10.0.0.5]"));
    assertFalse(CallerRules.namesHost(cert, "10.0.0.6"));
  }

  @Test
  void aTrustFileWithoutACaIsRefused() throws IOException {
    NodeIdentity ops = new NodeIdentity(Role.ADMIN, "ops");
    CaFiles files = new CaFiles(dir.resolve("empty-trust"));
    files.writeNode(ops, ca.issue(ops, List.of("localhost"), NOW, Duration.ofDays(1)));
    Path empty = files.dir().resolve("ca.crt");
    files.write(empty, "");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                NodeTls.of(
                    new NodeTls.Files(files.certificate(ops), files.key(ops), empty), REFRESH));
    assertTrue(e.getMessage().contains("holds no CA certificate"), e.getMessage());
  }

  @Test
  void theEnvironmentNamesWhatIsMissingAndPlaintextMustBeAskedFor() throws IOException {
    IllegalArgumentException none =
        assertThrows(IllegalArgumentException.class, () -> NodeTls.fromEnv(Map.of(), "test"));
    assertTrue(none.getMessage().startsWith("MC_TLS_CERT, MC_TLS_KEY, MC_TLS_CA: required"));
    assertThrows(
        IllegalArgumentException.class, () -> NodeTls.fromEnv(Map.of("MC_TLS", "off"), "test"));
    try (NodeTls plain = NodeTls.fromEnv(Map.of("MC_TLS", "plaintext"), "test")) {
      assertEquals(false, plain.enabled());
    }
    IOException missingFile =
        assertThrows(
            IOException.class,
            () ->
                NodeTls.fromEnv(
                    Map.of(
                        "MC_TLS_CERT", dir.resolve("none.crt").toString(),
                        "MC_TLS_KEY", dir.resolve("none.key").toString(),
                        "MC_TLS_CA", dir.resolve("ca.crt").toString()),
                    "test"));
    assertTrue(missingFile.getMessage().startsWith("TLS: cannot use"), missingFile.getMessage());
  }
}
