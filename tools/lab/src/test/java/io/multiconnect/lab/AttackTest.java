package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.multiconnect.ca.CaFiles;
import io.multiconnect.ca.ClusterCa;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.auth.Tokens;
import io.multiconnect.common.mirror.MirrorSettings;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeIdentity.Role;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.master.config.MasterConfig;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.BackupRequest;
import io.multiconnect.proto.v1.CheckContactsRequest;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.CreateUserRequest;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.LogoutRequest;
import io.multiconnect.proto.v1.RegisterRequest;
import io.multiconnect.proto.v1.ReleaseRequest;
import io.multiconnect.proto.v1.RestoreRequest;
import io.multiconnect.proto.v1.SendMessageRequest;
import io.multiconnect.proto.v1.UpdateApplicationSettingsRequest;
import io.multiconnect.proto.v1.WatchEvent;
import io.multiconnect.proto.v1.WatchRequest;
import io.multiconnect.proto.v1.upstream.AcceptedMessageRequest;
import io.multiconnect.proto.v1.upstream.AcknowledgeRequest;
import io.multiconnect.proto.v1.upstream.InjectInboundRequest;
import io.multiconnect.proto.v1.upstream.LiveSession;
import io.multiconnect.proto.v1.upstream.OpenSessionRequest;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.SessionAck;
import io.multiconnect.proto.v1.upstream.SessionRef;
import io.multiconnect.proto.v1.upstream.UpstreamContactsRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import io.multiconnect.proto.v1.upstream.UpstreamSendRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on a cluster with TLS on, as separate processes over real sockets: each comes from a peer
 * that can reach every port, with no certificate, one of another CA, or a real certificate of the
 * wrong role or another id. Each is refused, and the cluster is unchanged afterwards.
 */
@Tag("slow")
class AttackTest {
  @TempDir static Path dir;
  private static Lab lab;
  private static ClusterStatus before;
  private static AdminClient operator;
  private static final List<ManagedChannel> CHANNELS = new ArrayList<>();

  @BeforeAll
  static void start() throws IOException {
    lab =
        SmallTlsLab.create(dir.resolve("lab"), SmallTlsLab.options(1, Map.of()).withClockControl());
    lab.start();
    operator = lab.ready(200, 2_000, "attack-Passw0rd", Duration.ofSeconds(120)).admin();
    before = lab.awaitServing(operator, Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    Endpoints.shutdown(CHANNELS);
    if (operator != null) {
      operator.close();
    }
    if (lab != null) {
      lab.close();
    }
  }

  private static ManagedChannel channel(String address, NodeTls as) {
    ManagedChannel ch = Endpoints.channel(address, as, PeerCheck.anyNode());
    CHANNELS.add(ch);
    return ch;
  }

  private static NodeTls as(Role role, String id) {
    return lab.tlsAs(new NodeIdentity(role, id));
  }

  private static ControlPlaneGrpc.ControlPlaneBlockingStub controlPlane(NodeTls as) {
    return ControlPlaneGrpc.newBlockingStub(channel(lab.apiAddress("m1"), as))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** The status of a refused call, and its description. */
  private static Status refused(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus();
  }

  private static void denied(String expected, Runnable call) {
    Status s = refused(call);
    assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), s.toString());
    assertTrue(s.getDescription().contains(expected), s.getDescription());
  }

  /** One keep-alive on a stream of its own, ended at once; throws what the upstream answered. */
  private static void keepAliveOnce(ManagedChannel channel, SessionRef ref) {
    CompletableFuture<SessionAck> answer = new CompletableFuture<>();
    StreamObserver<SessionRef> stream =
        UpstreamGrpc.newStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(SessionAck ack) {
                    answer.complete(ack);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    stream.onNext(ref);
    stream.onCompleted();
    try {
      answer.get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw Status.fromThrowable(e.getCause()).asRuntimeException();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer to a keep-alive", e);
    }
  }

  private static HeartbeatRequest heartbeat(String coreapp) {
    return HeartbeatRequest.newBuilder().setCoreappId(coreapp).setIncarnation("attack").build();
  }

  @Test
  void aPeerWithoutACertificateOfTheClusterCaCannotEvenConnect() throws IOException {
    NodeTls plaintext = NodeTls.plaintext("attacker");
    assertEquals(
        Status.Code.UNAVAILABLE,
        refused(() -> controlPlane(plaintext).heartbeat(heartbeat("c1"))).getCode());

    // A certificate saying coreapp/c1, from a CA of the attacker's own.
    NodeIdentity c1 = new NodeIdentity(Role.COREAPP, "c1");
    ClusterCa rogue = ClusterCa.create("rogue", Instant.now(), Duration.ofDays(1));
    CaFiles files = new CaFiles(dir.resolve("rogue"));
    files.writeCa(rogue);
    files.writeNode(c1, rogue.issue(c1, List.of("127.0.0.1"), Instant.now(), Duration.ofHours(1)));
    try (NodeTls forged =
        NodeTls.of(
            new NodeTls.Files(
                files.certificate(c1), files.key(c1), files.dir().resolve(CaFiles.CA_CERT)),
            NodeTls.REFRESH)) {
      assertEquals(
          Status.Code.UNAVAILABLE,
          refused(() -> controlPlane(forged).heartbeat(heartbeat("c1"))).getCode());
    }
  }

  @Test
  void aCoreappRegistersHeartbeatsAndReleasesOnlyAsItself() {
    ControlPlaneGrpc.ControlPlaneBlockingStub c1 = controlPlane(as(Role.COREAPP, "c1"));
    denied(
        "coreapp/c1 may not act as coreapp/c2",
        () ->
            c1.register(
                RegisterRequest.newBuilder()
                    .setCoreappId("c2")
                    .setIncarnation("attack")
                    .setAddress("127.0.0.1:1")
                    .build()));
    denied("coreapp/c1 may not act as coreapp/c2", () -> c1.heartbeat(heartbeat("c2")));
    denied(
        "coreapp/c1 may not act as coreapp/c2",
        () ->
            c1.release(
                ReleaseRequest.newBuilder()
                    .setCoreappId("c2")
                    .setIncarnation(incarnation("c2"))
                    .setEpoch(1)
                    .build()));
    // A master certificate relays for coreapps only when it is a member's.
    denied(
        "master/m9 may not act as coreapp/c1 (not a member of the group)",
        () -> controlPlane(as(Role.MASTER, "m9")).heartbeat(heartbeat("c1")));
    // Its own id, but an address its certificate does not name: the webapps would send there.
    denied(
        "certificate does not name the host 'attacker.example'",
        () ->
            c1.register(
                RegisterRequest.newBuilder()
                    .setCoreappId("c1")
                    .setIncarnation("attack")
                    .setAddress("attacker.example:443")
                    .build()));
  }

  @Test
  void eachRoleCallsOnlyWhatItsRoleMay() {
    NodeTls webapp = as(Role.WEBAPP, "w9");
    NodeTls coreapp = as(Role.COREAPP, "c2");
    denied(
        "webapp/w9 may not call multiconnect.v1.ControlPlane/Register",
        () ->
            controlPlane(webapp)
                .register(
                    RegisterRequest.newBuilder()
                        .setCoreappId("w9")
                        .setIncarnation("attack")
                        .setAddress("127.0.0.1:1")
                        .build()));
    AdminGrpc.AdminBlockingStub adminAsCoreapp =
        AdminGrpc.newBlockingStub(channel(lab.apiAddress("m1"), coreapp))
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    denied(
        "coreapp/c2 may not call multiconnect.v1.Admin/GetStatus",
        () -> adminAsCoreapp.getStatus(GetStatusRequest.getDefaultInstance()));

    // Sending from the business number is for webapps: not another coreapp, not an admin tool.
    String c1Address = lab.coreappAddress("c1");
    for (NodeTls who : List.of(coreapp, as(Role.ADMIN, "ops"))) {
      denied(
          "may not call multiconnect.v1.Coreapp/SendMessage",
          () ->
              CoreappGrpc.newBlockingStub(channel(c1Address, who))
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .sendMessage(SendMessageRequest.getDefaultInstance()));
    }

    UpstreamGrpc.UpstreamBlockingStub upstreamAsC2 =
        UpstreamGrpc.newBlockingStub(channel(lab.upstreamAddress(), coreapp))
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    denied(
        "coreapp/c2 may not act as coreapp/c1",
        () ->
            upstreamAsC2
                .openSession(
                    OpenSessionRequest.newBuilder()
                        .setCoreappId("c1")
                        .setIncarnation("attack")
                        .setShardCount(1)
                        .setEpoch(99)
                        .build())
                .hasNext());
    // Another coreapp's live session (whichever coreapp is the primary): not to be closed, kept
    // alive or sent on by the other one.
    LiveSession live =
        UpstreamGrpc.newBlockingStub(channel(lab.upstreamAddress(), lab.adminTls()))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .getReport(ReportRequest.newBuilder().setMaxEvents(1).build())
            .getLiveSessionsList()
            .get(0);
    String holder = live.getCoreappId();
    String other = holder.equals("c1") ? "c2" : "c1";
    ManagedChannel asOther = channel(lab.upstreamAddress(), as(Role.COREAPP, other));
    UpstreamGrpc.UpstreamBlockingStub upstreamAsOther =
        UpstreamGrpc.newBlockingStub(asOther).withDeadlineAfter(10, TimeUnit.SECONDS);
    String notHolder = "coreapp/" + other + " may not act as coreapp/" + holder;
    SessionRef ref =
        SessionRef.newBuilder().setSessionId(live.getSessionId()).setEpoch(live.getEpoch()).build();
    denied(notHolder, () -> upstreamAsOther.closeSession(ref));
    denied(notHolder, () -> keepAliveOnce(asOther, ref));
    denied(
        notHolder,
        () ->
            upstreamAsOther.send(
                UpstreamSendRequest.newBuilder()
                    .setSessionId(live.getSessionId())
                    .setEpoch(live.getEpoch())
                    .setClientMessageId("attack")
                    .setTo("15550000000")
                    .build()));
    denied(
        notHolder,
        () ->
            upstreamAsOther.acknowledge(
                AcknowledgeRequest.newBuilder()
                    .setSessionId(live.getSessionId())
                    .setEpoch(live.getEpoch())
                    .addEventIds("ev1")
                    .build()));
    // The simulator's test tools are an admin's: a coreapp writes no inbound message, reads no
    // report.
    denied(
        "coreapp/c2 may not call multiconnect.v1.Upstream/InjectInbound",
        () ->
            upstreamAsC2.injectInbound(
                InjectInboundRequest.newBuilder().setFrom("15550000000").setText("x").build()));
    denied(
        notHolder,
        () ->
            upstreamAsOther.checkContacts(
                UpstreamContactsRequest.newBuilder()
                    .setSessionId(live.getSessionId())
                    .setEpoch(live.getEpoch())
                    .addWaIds("15550000000")
                    .build()));
    denied(
        "coreapp/c2 may not call multiconnect.v1.Upstream/GetReport",
        () -> upstreamAsC2.getReport(ReportRequest.getDefaultInstance()));
    denied(
        "coreapp/c2 may not call multiconnect.v1.Upstream/GetAcceptedMessage",
        () -> upstreamAsC2.getAcceptedMessage(AcceptedMessageRequest.getDefaultInstance()));
    // Asking which numbers use WhatsApp, from the business's session, is for webapps too.
    denied(
        "coreapp/c2 may not call multiconnect.v1.Coreapp/CheckContacts",
        () ->
            CoreappGrpc.newBlockingStub(channel(c1Address, coreapp))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .checkContacts(CheckContactsRequest.getDefaultInstance()));
    denied(
        "webapp/w9 may not call multiconnect.v1.Upstream/GetReport",
        () ->
            UpstreamGrpc.newBlockingStub(channel(lab.upstreamAddress(), webapp))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .getReport(ReportRequest.getDefaultInstance()));
  }

  /**
   * An admin adding a master is asked to trust whatever answers at the address it gives: only a
   * server whose certificate names that master is believed, not another node of the CA.
   */
  @Test
  void aNodeThatIsNotTheNewMasterCannotPoseAsIt() {
    AdminException e =
        assertThrows(
            AdminException.class,
            () -> operator.addMaster("m9", "127.0.0.1:1", lab.upstreamAddress()));
    assertEquals("api_address", e.field(), e.getMessage());
    assertTrue(e.getMessage().contains("with a certificate for master/m9"), e.getMessage());
  }

  /**
   * The Raft port takes a TLS connection only from a master's certificate, and even a master's
   * certificate gets nothing but Raft there: no client write, no configuration change, no group
   * removal (the masters make those in process).
   */
  @Test
  void theRaftPortServesOnlyRaftBetweenMasters() throws IOException {
    for (NodeTls who : List.of(NodeTls.plaintext("attacker"), as(Role.COREAPP, "c1"))) {
      String refused = raftWrite(who);
      assertTrue(refused.contains("UNAVAILABLE"), who + ": " + refused);
    }
    NodeTls stolen = as(Role.MASTER, "m9");
    assertTrue(raftWrite(stolen).contains("PERMISSION_DENIED"), raftWrite(stolen));
    try (RaftClient client = raftClient(stolen)) {
      RaftGroupId group = client.getGroupId();
      RaftPeerId m1 = client.getLeaderId();
      String change =
          failure(
              () ->
                  client
                      .admin()
                      .setConfiguration(
                          List.of(
                              RaftPeer.newBuilder()
                                  .setId("m9")
                                  .setAddress("127.0.0.1:1")
                                  .build())));
      assertTrue(change.contains("PERMISSION_DENIED"), change);
      String removal = failure(() -> client.getGroupManagementApi(m1).remove(group, true, false));
      assertTrue(removal.contains("PERMISSION_DENIED"), removal);
    }
  }

  /** What a Ratis client sending a write to m1's Raft port as {@code who} is told. */
  private static String raftWrite(NodeTls who) throws IOException {
    try (RaftClient client = raftClient(who)) {
      return failure(() -> client.io().send(Message.valueOf("attack")));
    }
  }

  private static RaftClient raftClient(NodeTls who) {
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(5, TimeUnit.SECONDS));
    Parameters params = new Parameters();
    if (who.enabled()) {
      GrpcConfigKeys.Client.setTlsConf(
          params,
          new GrpcTlsConfig(who.keyManager(), who.trustManager(PeerCheck.role(Role.MASTER)), true));
    }
    RaftPeer m1 = RaftPeer.newBuilder().setId("m1").setAddress(lab.raftAddress("m1")).build();
    return RaftClient.newBuilder()
        .setProperties(props)
        .setParameters(params)
        .setRaftGroup(RaftGroup.valueOf(RaftGroupId.valueOf(MasterConfig.DEFAULT_GROUP_ID), m1))
        .setLeaderId(m1.getId())
        .setRetryPolicy(RetryPolicies.noRetry())
        .build();
  }

  /** The text of the failure of {@code call}, which must fail. */
  private static String failure(RaftCall call) {
    try {
      RaftClientReply reply = call.run();
      assertTrue(!reply.isSuccess(), "the Raft port took " + reply);
      return String.valueOf(reply.getException());
    } catch (IOException e) {
      StringBuilder all = new StringBuilder();
      for (Throwable t = e; t != null; t = t.getCause()) {
        all.append(t).append('\n');
      }
      return all.toString();
    }
  }

  private interface RaftCall {
    RaftClientReply run() throws IOException;
  }

  /**
   * The mirror database takes TLS only, root nowhere but its local socket, and each role's account
   * only what the role does: a coreapp cannot rewrite the shard map a webapp would seed from, a
   * webapp cannot write at all. The masters wrote the mirror over TLS that checked the database's
   * certificate.
   */
  @Test
  void theMirrorDatabaseTakesTlsOnlyAndEachAccountItsOwnPart() throws Exception {
    MirrorSettings reader = lab.mirror();
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> count(reader, "SELECT COUNT(*) FROM shards") >= 1);
    MirrorUsers users = lab.mirrorUsers();
    String plain =
        "jdbc:mysql://" + lab.databaseAddress() + "/multiconnect?connectTimeout=2000&sslMode=";
    SQLException cleartext =
        assertThrows(
            SQLException.class,
            () ->
                DriverManager.getConnection(
                        plain + "DISABLED", MirrorUsers.MASTER, users.masterPassword())
                    .close());
    assertTrue(cleartext.getMessage().contains("insecure transport"), cleartext.getMessage());
    assertThrows(
        SQLException.class,
        () -> DriverManager.getConnection(plain + "REQUIRED", "root", "").close());

    MirrorSettings coreapp =
        new MirrorSettings(reader.jdbcUrl(), MirrorUsers.COREAPP, users.coreappPassword());
    // A coreapp's account writes liveness rows (once the database has granted it, after the
    // schema exists), and nothing else.
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              try (Connection c =
                  DriverManager.getConnection(
                      coreapp.jdbcUrl(), coreapp.user(), coreapp.password())) {
                return c.createStatement()
                        .executeUpdate(
                            "INSERT INTO coreapp_liveness (id, address, last_seen) VALUES"
                                + " ('attack', '127.0.0.1:1', CURRENT_TIMESTAMP(3)) ON DUPLICATE"
                                + " KEY UPDATE last_seen = CURRENT_TIMESTAMP(3)")
                    >= 1;
              }
            });
    for (MirrorSettings who : List.of(coreapp, reader)) {
      try (Connection c = DriverManager.getConnection(who.jdbcUrl(), who.user(), who.password())) {
        SQLException e =
            assertThrows(
                SQLException.class,
                () ->
                    c.createStatement()
                        .executeUpdate("UPDATE shards SET primary_address = 'attacker:1'"));
        assertTrue(e.getMessage().contains("denied"), who.user() + ": " + e.getMessage());
      }
    }
  }

  private static long count(MirrorSettings m, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(m.jdbcUrl(), m.user(), m.password());
        ResultSet r = c.createStatement().executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  /**
   * Every login and Admin write, and every refused one, leaves an audit line on the master naming
   * the user, the calling node's certificate and its address.
   */
  @Test
  void loginsAndAdminWritesAreAudited() throws Exception {
    ClusterSettings settings = operator.settings();
    operator.updateSettings(settings.getHeartbeatIntervalMs(), settings.getUnhealthyIntervalMs());
    try (AdminClient anonymous = lab.anonymousAdmin()) {
      AdminClient guesser = anonymous.withAuthorization(AdminClient.basic("admin", "guess"));
      assertThrows(
          AdminException.class,
          () ->
              guesser.updateSettings(
                  settings.getHeartbeatIntervalMs(), settings.getUnhealthyIntervalMs()));
    }
    String method = "multiconnect.v1.Admin/UpdateSettings";
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              String log = java.nio.file.Files.readString(lab.logs().resolve("m1.log"));
              return log.contains(method + " by user admin via admin/harness from")
                  && log.contains("refused " + method + " for user admin via admin/harness from")
                  && log.contains("login of user admin via admin/harness");
            });
  }

  /**
   * No node outside the masters holds a key that signs tokens: the Watch stream carries the public
   * keys only, and a token signed with another key under the cluster's key id is refused.
   */
  @Test
  void webappsGetPublicKeysOnlyAndAForgedTokenIsRefused() throws Exception {
    WatchEvent first =
        ControlPlaneGrpc.newBlockingStub(channel(lab.apiAddress("m1"), as(Role.WEBAPP, "w9")))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .watch(WatchRequest.newBuilder().setWatcherId("attack").build())
            .next();
    String keys = first.getSnapshot().getTokenPublicKeys();
    JWKSet set = JWKSet.parse(keys);
    assertEquals(1, set.getKeys().size(), keys);
    assertTrue(set.getKeys().stream().noneMatch(JWK::isPrivate), keys);

    ECKey forger =
        new ECKeyGenerator(Curve.P_256).keyID(set.getKeys().get(0).getKeyID()).generate();
    SignedJWT forged =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(forger.getKeyID()).build(),
            new JWTClaimsSet.Builder()
                .subject("admin")
                .issueTime(new Date())
                .expirationTime(new Date(System.currentTimeMillis() + 3_600_000))
                .build());
    forged.sign(new ECDSASigner(forger));
    Http http = new Http(URI.create(lab.webappUrl("w1")).getPort());
    http.authorization = "Bearer " + forged.serialize();
    assertEquals(401, http.call("GET", "/v1/account/shards", null).status());
    try (AdminClient anonymous = lab.anonymousAdmin()) {
      AdminClient withForged = anonymous.withAuthorization(http.authorization);
      AdminException e = assertThrows(AdminException.class, () -> withForged.setShardCount(2));
      assertTrue(e.getMessage().contains("invalid or expired token"), e.getMessage());
    }
  }

  /**
   * A token past its expiry is refused by a webapp and by the masters, each going by its own wall
   * clock: the clocks of w1 and m1 are moved past the token's lifetime (and back at the end, when
   * the same token works again: it was refused for its age alone).
   */
  @Test
  void anExpiredTokenIsRefused() throws Exception {
    Http http = new Http(URI.create(lab.webappUrl("w1")).getPort());
    try (AdminClient anonymous = lab.anonymousAdmin()) {
      String token = anonymous.login("admin", "attack-Passw0rd", "").getToken();
      http.authorization = "Bearer " + token;
      assertEquals(200, http.call("GET", "/v1/account/shards", null).status());
      AdminClient admin = anonymous.withAuthorization(http.authorization);
      long pastItsLifetime = Tokens.DEFAULT_LIFETIME.plusHours(1).toMillis();
      // Harmless should the master still accept the token: the shard count it already has.
      int unchanged = before.getShardMap().getShardCount();
      try {
        lab.skew("w1", 0, pastItsLifetime);
        lab.skew("m1", 0, pastItsLifetime);
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> http.call("GET", "/v1/account/shards", null).status() == 401);
        String refusal = http.call("GET", "/v1/account/shards", null).json().toString();
        assertTrue(refusal.contains("invalid or expired"), refusal);
        await()
            .atMost(Duration.ofSeconds(5))
            .untilAsserted(
                () ->
                    assertTrue(
                        assertThrows(AdminException.class, () -> admin.setShardCount(unchanged))
                            .getMessage()
                            .contains("invalid or expired token")));
      } finally {
        lab.skew("w1", 0, 0);
        lab.skew("m1", 0, 0);
      }
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> http.call("GET", "/v1/account/shards", null).status() == 200);
    }
  }

  /**
   * A user who is not the admin cannot change the cluster, through the masters or a webapp; a
   * logged-out token is refused by both.
   */
  @Test
  void aUserOrARevokedTokenCannotChangeTheCluster() throws Exception {
    operator.call(
        s ->
            s.createUser(
                CreateUserRequest.newBuilder()
                    .setUsername("mallory")
                    .setPassword("Mall0ry!pass")
                    .build()));
    Http http = new Http(URI.create(lab.webappUrl("w1")).getPort());
    try (AdminClient anonymous = lab.anonymousAdmin()) {
      String userToken = anonymous.login("mallory", "Mall0ry!pass", "").getToken();
      AdminClient user = anonymous.withAuthorization("Bearer " + userToken);
      AdminException e = assertThrows(AdminException.class, () -> user.setShardCount(2));
      assertEquals(Status.Code.PERMISSION_DENIED, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("only the admin"), e.getMessage());
      for (Runnable write :
          List.<Runnable>of(
              () ->
                  user.call(
                      s ->
                          s.updateApplicationSettings(
                              UpdateApplicationSettingsRequest.newBuilder()
                                  .putChanges("webhooks.url", "https://attacker.example/hook")
                                  .build())),
              () -> user.call(s -> s.backup(BackupRequest.newBuilder().setPassword("p").build())),
              () ->
                  user.call(
                      s ->
                          s.restore(
                              RestoreRequest.newBuilder()
                                  .setPassword("p")
                                  .setData("x")
                                  .build())))) {
        AdminException refused = assertThrows(AdminException.class, write::run);
        assertEquals(Status.Code.PERMISSION_DENIED, refused.code(), refused.getMessage());
      }
      http.authorization = "Bearer " + userToken;
      assertEquals(
          403,
          http.call("PATCH", "/v1/settings/application", "{\"unhealthy_interval\":9}").status());
      assertEquals(403, http.call("POST", "/v1/settings/backup", "{\"password\":\"p\"}").status());
      http.authorization = "";
      assertEquals(401, http.upload("/v1/media", new byte[] {1}, "image/png").status());
      assertEquals(
          401, http.call("GET", "/v1/media/00000000-0000-0000-0000-000000000000", null).status());
      assertEquals(401, http.call("POST", "/v1/contacts", "{\"contacts\":[\"1\"]}").status());

      String adminToken = anonymous.login("admin", "attack-Passw0rd", "").getToken();
      AdminClient admin = anonymous.withAuthorization("Bearer " + adminToken);
      admin.call(s -> s.logout(LogoutRequest.getDefaultInstance()));
      AdminException revoked = assertThrows(AdminException.class, () -> admin.setShardCount(2));
      assertTrue(revoked.getMessage().contains("logged out"), revoked.getMessage());
      http.authorization = "Bearer " + adminToken;
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> http.call("GET", "/v1/account/shards", null).status() == 401);
    }
  }

  @Test
  void theRefusedAttacksChangedNothing() {
    try (AdminClient admin = lab.anonymousAdmin()) {
      ClusterStatus now = lab.awaitServing(admin, Duration.ofSeconds(30));
      assertEquals(processes(before), processes(now));
      assertEquals(before.getShardMap().getShardCount(), now.getShardMap().getShardCount());
    }
    assertEquals(
        0,
        UpstreamGrpc.newBlockingStub(channel(lab.upstreamAddress(), lab.adminTls()))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .getReport(ReportRequest.newBuilder().setMaxEvents(1).build())
            .getBans());
  }

  /** Every coreapp's registered process and address. */
  private static Map<String, String> processes(ClusterStatus s) {
    return s.getCoreappsList().stream()
        .collect(
            Collectors.toMap(
                CoreappStatus::getId, c -> c.getIncarnation() + "@" + address(s, c.getId())));
  }

  private static String address(ClusterStatus s, String coreapp) {
    return s.getShardMap().getAssignmentsList().stream()
        .filter(a -> a.getCoreappId().equals(coreapp))
        .map(a -> a.getCoreappAddress())
        .findFirst()
        .orElse("-");
  }

  private static String incarnation(String coreapp) {
    return processes(before).getOrDefault(coreapp, "x@").split("@")[0];
  }
}
