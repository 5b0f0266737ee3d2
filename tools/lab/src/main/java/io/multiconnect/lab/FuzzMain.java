package io.multiconnect.lab;

import io.grpc.ManagedChannel;
import io.multiconnect.ca.CaFiles;
import io.multiconnect.ca.ClusterCa;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.NodeTls;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.AdminGrpc;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.CoreappGrpc;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fuzz campaign ({@code tools/fuzz/run}): a cluster of processes with TLS on loopback (3
 * masters, 2 coreapps, a webapp, the upstream), then {@code --rest N} mutated REST requests and
 * {@code --grpc N} mutated gRPC calls to every service under every identity; a node that exits is a
 * finding too. Writes {@code results.md} to {@code --out}; exit code 0 when clean, 1 otherwise.
 */
public final class FuzzMain {
  private static final String ADMIN_PASSWORD = "Fuzz-Passw0rd1";

  private FuzzMain() {}

  public static void main(String[] args) throws Exception {
    int rest = 100_000;
    int grpc = 20_000;
    long seed = 1;
    Path out = Path.of("run/fuzz");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rest" -> rest = Integer.parseInt(args[i + 1]);
        case "--grpc" -> grpc = Integer.parseInt(args[i + 1]);
        case "--seed" -> seed = Long.parseLong(args[i + 1]);
        case "--out" -> out = Path.of(args[i + 1]);
        default -> {
          System.err.println("usage: fuzz [--rest N] [--grpc N] [--seed S] [--out DIR]");
          System.exit(2);
        }
      }
    }
    Report report = campaign(rest, grpc, seed, out);
    System.out.println(report.text());
    System.out.println(report.clean() ? "fuzz: clean" : "fuzz: FINDINGS");
    System.exit(report.clean() ? 0 : 1);
  }

  /** A campaign's outcome: the Markdown report also written to {@code results.md}. */
  record Report(String text, boolean clean) {}

  /** Runs a campaign against a lab of its own in {@code out}. */
  static Report campaign(int rest, int grpc, long seed, Path out) throws Exception {
    Files.createDirectories(out);
    try (Lab lab =
        new Lab(
            out.resolve("lab"),
            System.getProperty("java.class.path"),
            new LoopbackNetwork(),
            Lab.Options.smallTls(3, List.of("-Xmx192m", "-XX:+UseSerialGC"), Map.of()))) {
      Thread cleanup = new Thread(lab::close, "fuzz-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C: stop every node of the lab
      List<ManagedChannel> channels = new ArrayList<>();
      try {
        return fuzz(lab, channels, rest, grpc, seed, out);
      } finally {
        Endpoints.shutdown(channels);
        lab.close();
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
  }

  /** Starts the lab, then fuzzes it; the channels it opens go to {@code channels}. */
  private static Report fuzz(
      Lab lab, List<ManagedChannel> channels, int rest, int grpc, long seed, Path out)
      throws Exception {
    List<String> exits = new CopyOnWriteArrayList<>();
    lab.onUnexpectedExit(exits::add);
    lab.start();
    Lab.Ready ready = lab.ready(200, 2_000, ADMIN_PASSWORD, Duration.ofSeconds(120));
    lab.awaitServing(ready.admin(), Duration.ofSeconds(60));
    long started = System.nanoTime();
    RestFuzz restFuzz =
        new RestFuzz(
            lab.webappUrl("w1"),
            ready.authorization(),
            ADMIN_PASSWORD,
            lab.apiKey(),
            new Random(seed));
    FuzzTally restTally = restFuzz.run(rest);
    long restSeconds = (System.nanoTime() - started) / 1_000_000_000L;
    Map<String, NodeTls> callers = new LinkedHashMap<>();
    for (NodeIdentity as :
        List.of(
            new NodeIdentity(NodeIdentity.Role.ADMIN, "fuzz"),
            new NodeIdentity(NodeIdentity.Role.WEBAPP, "w9"),
            new NodeIdentity(NodeIdentity.Role.COREAPP, "c9"))) {
      callers.put(as.role().label() + "/" + as.id(), lab.tlsAs(as));
    }
    // Without a valid certificate: one of a CA of the caller's own, and none at all.
    callers.put("rogue-ca admin/fuzz", rogue(out.resolve("rogue"), lab.trustFile()));
    callers.put("plaintext", NodeTls.plaintext("fuzz"));
    List<GrpcFuzz.Target> targets = new ArrayList<>();
    callers.forEach(
        (who, tls) -> {
          ManagedChannel master = Endpoints.channel(lab.apiAddress("m1"), tls, PeerCheck.anyNode());
          ManagedChannel coreapp =
              Endpoints.channel(lab.coreappAddress("c1"), tls, PeerCheck.anyNode());
          ManagedChannel upstream =
              Endpoints.channel(lab.upstreamAddress(), tls, PeerCheck.anyNode());
          channels.addAll(List.of(master, coreapp, upstream));
          targets.add(
              new GrpcFuzz.Target(who + " m1", master, ControlPlaneGrpc.getServiceDescriptor()));
          targets.add(new GrpcFuzz.Target(who + " m1", master, AdminGrpc.getServiceDescriptor()));
          targets.add(
              new GrpcFuzz.Target(who + " c1", coreapp, CoreappGrpc.getServiceDescriptor()));
          targets.add(
              new GrpcFuzz.Target(
                  who + " upstream", upstream, UpstreamGrpc.getServiceDescriptor()));
        });
    started = System.nanoTime();
    // The REST phase's logouts revoked the first token: the gRPC phase gets the one it holds now.
    FuzzTally grpcTally =
        new GrpcFuzz(targets, restFuzz.authorization(), new Random(seed)).run(grpc);
    long grpcSeconds = (System.nanoTime() - started) / 1_000_000_000L;
    boolean alive = exits.isEmpty();
    String report =
        "# Fuzz run (seed "
            + seed
            + ")\n\n"
            + restTally.report("REST, " + rest + " requests in " + restSeconds + " s")
            + "\n"
            + grpcTally.report("gRPC, " + grpc + " calls in " + grpcSeconds + " s")
            + "\nNodes that exited during the run: "
            + (alive ? "none" : exits)
            + "\n";
    Files.writeString(out.resolve("results.md"), report);
    return new Report(report, restTally.clean() && grpcTally.clean() && alive);
  }

  /**
   * An admin certificate from a CA of the caller's own, presented to servers whose certificates it
   * trusts: the servers must refuse it at the handshake.
   */
  private static NodeTls rogue(Path dir, Path clusterCas) throws IOException {
    NodeIdentity admin = new NodeIdentity(NodeIdentity.Role.ADMIN, "fuzz");
    ClusterCa rogue = ClusterCa.create("rogue", Instant.now(), Duration.ofDays(1));
    CaFiles files = new CaFiles(dir);
    files.writeNode(
        admin, rogue.issue(admin, List.of("127.0.0.1"), Instant.now(), Duration.ofHours(12)));
    return NodeTls.of(
        new NodeTls.Files(files.certificate(admin), files.key(admin), clusterCas), NodeTls.REFRESH);
  }
}
