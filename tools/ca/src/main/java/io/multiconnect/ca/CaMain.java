package io.multiconnect.ca;

import io.multiconnect.common.tls.NodeIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bin/multiconnect ca}: the cluster CA's files. Exit codes: 0 done, 1 a file could not be
 * read or written, 2 bad usage.
 */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = "The cluster CA: create it, issue node certificates, bundle CAs for rotation.",
    subcommands = {
      CaMain.Init.class,
      CaMain.Issue.class,
      CaMain.Bundle.class,
      CaMain.ListCerts.class
    })
public final class CaMain implements Runnable {
  @Spec CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line; its exit code. */
  public static int run(String... args) {
    return new CommandLine(new CaMain())
        .setExecutionExceptionHandler(
            (e, line, parsed) -> {
              line.getErr().println("ca: " + e.getMessage());
              return e instanceof IllegalArgumentException ? 2 : 1;
            })
        .execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command: init, issue, bundle or list");
  }

  /** {@code --dir}: the CA directory (made 0700 when written to). */
  static final class CaDir {
    @Option(names = "--dir", required = true, description = "The CA directory (0700).")
    Path dir;
  }

  @Command(name = "init", description = "Create a CA in DIR (refuses if one is there).")
  static final class Init implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaDir ca;

    @Option(names = "--name", description = "Part of the CA's name (default: a random id).")
    String name = UUID.randomUUID().toString().substring(0, 8);

    @Option(names = "--days", description = "Validity in days (default 3650).")
    int days = 3650;

    @Override
    public Integer call() throws IOException {
      ClusterCa created = ClusterCa.create(name, Instant.now(), Duration.ofDays(days));
      new CaFiles(ca.dir).writeCa(created);
      spec.commandLine()
          .getOut()
          .printf(
              "created %s in %s, valid until %s%n",
              created.certificate().getSubjectX500Principal().getName(),
              ca.dir,
              created.certificate().getNotAfter().toInstant());
      return 0;
    }
  }

  @Command(name = "issue", description = "Issue a node's certificate and key from the CA in DIR.")
  static final class Issue implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaDir ca;

    @Option(
        names = "--role",
        required = true,
        description = "master, coreapp, webapp, admin, upstream or database.")
    String role;

    @Option(names = "--id", required = true, description = "The node's id: m1, c2, w1, ops.")
    String id;

    @Option(
        names = "--host",
        required = true,
        description = "A DNS name or IP address the node is reached at (repeat for more).")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--days", description = "Validity in days (default 365).")
    int days = 365;

    @Override
    public Integer call() throws IOException {
      NodeIdentity identity = new NodeIdentity(NodeIdentity.Role.parse(role), id);
      CaFiles files = new CaFiles(ca.dir);
      ClusterCa.Issued issued =
          files.readCa().issue(identity, hosts, Instant.now(), Duration.ofDays(days));
      files.writeNode(identity, issued);
      spec.commandLine()
          .getOut()
          .printf(
              "issued %s: %s and %s, valid until %s%n",
              identity.uri(),
              files.certificate(identity),
              files.key(identity),
              issued.certificate().getNotAfter().toInstant());
      return 0;
    }
  }

  @Command(
      name = "bundle",
      description =
          "Write the CA certificates of several files into one trust bundle (for a rotation: the"
              + " old CA and the new one).")
  static final class Bundle implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "The bundle file (0600).")
    Path out;

    @Parameters(arity = "1..*", description = "ca.crt files, or bundles.")
    List<Path> inputs;

    @Override
    public Integer call() throws IOException {
      Map<String, X509Certificate> cas = new LinkedHashMap<>();
      for (Path in : inputs) {
        for (X509Certificate c : CaFiles.certificates(in)) {
          if (c.getBasicConstraints() < 0) {
            throw new IllegalArgumentException(
                in + ": " + c.getSubjectX500Principal().getName() + " is not a CA certificate");
          }
          cas.putIfAbsent(ClusterCa.serial(c), c);
        }
      }
      Path parent = out.toAbsolutePath().getParent();
      new CaFiles(parent).write(out.toAbsolutePath(), CaFiles.pem(List.copyOf(cas.values())));
      spec.commandLine().getOut().printf("wrote %d CA certificate(s) to %s%n", cas.size(), out);
      return 0;
    }
  }

  @Command(name = "list", description = "The certificates in DIR: identity, expiry, issuer.")
  static final class ListCerts implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaDir ca;

    @Override
    public Integer call() throws IOException {
      X509Certificate authority = new CaFiles(ca.dir).readCa().certificate();
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%-34s %-22s %-10s %s%n", "IDENTITY", "NOT AFTER", "BY THIS CA", "FILE");
      try (DirectoryStream<Path> certs = Files.newDirectoryStream(ca.dir, "*.crt")) {
        List<Path> sorted = new ArrayList<>();
        certs.forEach(sorted::add);
        sorted.sort(null);
        for (Path p : sorted) {
          for (X509Certificate c : CaFiles.certificates(p)) {
            out.printf(
                "%-34s %-22s %-10s %s%n",
                NodeIdentity.of(c).map(NodeIdentity::uri).orElse("(CA)"),
                c.getNotAfter().toInstant(),
                signedBy(c, authority) ? "yes" : "no",
                p.getFileName());
          }
        }
      }
      return 0;
    }

    private static boolean signedBy(X509Certificate c, X509Certificate ca) {
      try {
        c.verify(ca.getPublicKey());
        return true;
      } catch (GeneralSecurityException e) {
        return false;
      }
    }
  }
}
