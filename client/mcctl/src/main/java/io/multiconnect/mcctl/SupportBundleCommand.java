package io.multiconnect.mcctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.log.Redact;
import io.multiconnect.mcctl.settings.SettingsCommand;
import io.multiconnect.proto.v1.ClusterSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code mcctl support-bundle}: what a bug report needs in one archive. The cluster as the masters
 * see it ({@code status}, the settings) and, from every node Prometheus's targets file names, its
 * metrics and its last log lines ({@code GET /metrics}, {@code GET /logs}). Whatever cannot be
 * reached is named in the archive's {@code manifest.json} with the reason; the rest is collected
 * anyway.
 */
@Command(
    name = "support-bundle",
    mixinStandardHelpOptions = true,
    description =
        "Collect the cluster's status and settings, and every node's metrics and recent logs,"
            + " into one zip archive for a bug report.")
public final class SupportBundleCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The demo's directory: bin/multiconnect names it, else {@code run/demo} here. */
  private static Path demoDir() {
    return Path.of(System.getProperty("multiconnect.demo.dir", "run/demo"));
  }

  /** Characters a node's label keeps in a file name; others become {@code _}. */
  private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9_.-]");

  @ParentCommand Mcctl root;
  @Spec CommandSpec spec;

  @Option(
      names = "--targets",
      description =
          "Prometheus file_sd targets of the nodes (default: $MC_PROMETHEUS_TARGETS, the config"
              + " file's targets, or the demo's "
              + "run/demo/prometheus-targets.json).")
  Path targets;

  @Option(
      names = "--api-key-file",
      description =
          "File holding WA_API_KEY, which /metrics and /logs ask for (default: $WA_API_KEY, a"
              + " file named by $MC_API_KEY_FILE or the config file's api.key.file, or the demo's"
              + " run/demo/api-key).")
  Path apiKeyFile;

  @Option(
      names = "--webapp-scheme",
      description = "http, or https for webapps serving HTTPS (default: ${DEFAULT-VALUE}).",
      defaultValue = "http")
  String webappScheme;

  @Option(
      names = "--https-ca",
      description =
          "PEM file of the CA certificates the webapps' HTTPS certificates are checked against"
              + " (default: the Java runtime's).")
  Path httpsCa;

  @Option(
      names = "--out",
      description = "The archive (default: multiconnect-support-<UTC time>.zip here).")
  Path out;

  @Override
  public Integer call() throws IOException {
    if (!webappScheme.equals("http") && !webappScheme.equals("https")) {
      throw Mcctl.badArgument("webapp-scheme", "http or https, got '" + webappScheme + "'");
    }
    Instant now = Instant.now();
    Path archive =
        out != null
            ? out
            : Path.of(
                "multiconnect-support-"
                    + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                        .withZone(ZoneOffset.UTC)
                        .format(now)
                    + ".zip");
    Map<String, byte[]> files = new TreeMap<>();
    List<Map<String, Object>> collected = new ArrayList<>();
    collectCluster(files, collected);
    collectNodes(files, collected);

    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("created_at", now.toString());
    manifest.put("mcctl", spec.root().version()[0]);
    manifest.put("files", collected);
    files.put("manifest.json", JSON.writeValueAsBytes(manifest));
    write(archive, files);

    long failed = collected.stream().filter(c -> c.containsKey("error")).count();
    root.print(
        spec.commandLine(),
        "wrote "
            + archive
            + " ("
            + (collected.size() - failed)
            + " of "
            + collected.size()
            + " parts collected"
            + (failed == 0 ? "" : "; " + failed + " could not be, see manifest.json")
            + ")\n",
        Map.of(
            "archive",
            archive.toString(),
            "collected",
            collected.size() - failed,
            "failed",
            failed));
    // The archive says why; an exit code says whether there was anything to say.
    return failed == collected.size() ? AdminException.Kind.FAILED.exitCode : 0;
  }

  /** The cluster's status and settings as the masters answer them. */
  private void collectCluster(Map<String, byte[]> files, List<Map<String, Object>> collected) {
    AdminClient client;
    try {
      client = root.client();
    } catch (RuntimeException e) {
      collected.add(failure("cluster/", "the masters", e));
      return;
    }
    try (client) {
      part(
          files,
          collected,
          "cluster/status.json",
          "the masters",
          () -> json(StatusCommand.json(client.status())));
      part(
          files,
          collected,
          "cluster/settings.json",
          "the masters",
          () -> json(settings(client.settings())));
    }
  }

  private static Map<String, Object> settings(ClusterSettings s) {
    Map<String, Object> out = SettingsCommand.json(s);
    Map<String, String> application = new TreeMap<>();
    s.getApplicationMap().forEach((k, v) -> application.put(k, Redact.urls(v)));
    out.put("application", application);
    return out;
  }

  /** Every node of the targets file: its metrics and its last log lines. */
  private void collectNodes(Map<String, byte[]> files, List<Map<String, Object>> collected) {
    Path file =
        Path.of(
            root.setting(
                targets == null ? null : targets.toString(),
                "MC_PROMETHEUS_TARGETS",
                "targets",
                demoDir().resolve("prometheus-targets.json").toString()));
    JsonNode groups;
    try {
      groups = JSON.readTree(Files.readString(file));
    } catch (IOException | RuntimeException e) {
      collected.add(failure(file.toString(), "the targets file", e));
      return;
    }
    Optional<String> shape = targetsProblem(groups);
    if (shape.isPresent()) {
      collected.add(
          Map.of("file", file.toString(), "source", "the targets file", "error", shape.get()));
      return;
    }
    Optional<String> apiKey = apiKey();
    Duration timeout = Duration.ofMillis(Math.round(root.timeoutSeconds * 1000));
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(timeout);
    if (httpsCa != null) {
      client.sslContext(trusting(httpsCa));
    }
    HttpClient http = client.build();
    for (JsonNode group : groups) {
      String role = group.path("labels").path("role").asText("node");
      String node = group.path("labels").path("node").asText("");
      for (JsonNode target : group.path("targets")) {
        String name = node.isEmpty() ? target.asText() : node;
        String base = "nodes/" + UNSAFE.matcher(role + "-" + name).replaceAll("_");
        String dir = base + "/";
        for (int n = 2; taken(collected, dir); n++) {
          dir = base + "-" + n + "/"; // two labels that read the same once made safe
        }
        String scheme = role.equals("webapp") ? webappScheme : "http";
        for (String page : List.of("metrics", "logs")) {
          String url = scheme + "://" + target.asText() + "/" + page;
          part(files, collected, dir + page + ".txt", url, () -> fetch(http, url, apiKey, timeout));
        }
      }
    }
  }

  /** Why {@code groups} is not Prometheus's file_sd form, if it is not. */
  private static Optional<String> targetsProblem(JsonNode groups) {
    if (!groups.isArray() || groups.isEmpty()) {
      return Optional.of("not a JSON array of target groups, or an empty one");
    }
    for (JsonNode group : groups) {
      JsonNode list = group.path("targets");
      if (!list.isArray() || list.isEmpty()) {
        return Optional.of("a group without a list of targets: " + group);
      }
      for (JsonNode t : list) {
        if (!t.isTextual()) {
          return Optional.of("a target that is not a host:port string: " + t);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean taken(List<Map<String, Object>> collected, String dir) {
    return collected.stream().anyMatch(c -> String.valueOf(c.get("file")).startsWith(dir));
  }

  /** The API key, if one is configured or the demo's file exists. */
  private Optional<String> apiKey() {
    Path file = apiKeyFile;
    if (file == null) {
      String fromEnv = System.getenv("WA_API_KEY");
      if (fromEnv != null && !fromEnv.isBlank()) {
        return Optional.of(fromEnv.strip());
      }
      file =
          Path.of(
              root.setting(
                  null,
                  "MC_API_KEY_FILE",
                  "api.key.file",
                  demoDir().resolve("api-key").toString()));
      if (!Files.exists(file)) {
        return Optional.empty();
      }
    }
    try {
      return Optional.of(Files.readString(file).strip());
    } catch (IOException e) {
      throw Mcctl.badArgument("api-key-file", "cannot read " + file + ": " + e.getMessage());
    }
  }

  /** TLS that trusts the CA certificates of {@code pem} alone. */
  private static SSLContext trusting(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int n = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + n++, c);
      }
      if (n == 0) {
        throw Mcctl.badArgument("https-ca", pem + " holds no certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, tmf.getTrustManagers(), null);
      return tls;
    } catch (IOException | GeneralSecurityException e) {
      throw Mcctl.badArgument("https-ca", "cannot read " + pem + ": " + e.getMessage());
    }
  }

  /** {@code url}'s body, whole within {@code timeout} (headers and body alike). */
  private static byte[] fetch(
      HttpClient http, String url, Optional<String> apiKey, Duration timeout)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET();
    apiKey.ifPresent(k -> r.header("Authorization", "Apikey " + k));
    HttpResponse<byte[]> answer =
        http.sendAsync(r.build(), HttpResponse.BodyHandlers.ofByteArray())
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (answer.statusCode() != 200) {
      throw new IOException(
          "HTTP "
              + answer.statusCode()
              + ": "
              + new String(answer.body(), StandardCharsets.UTF_8).strip());
    }
    return answer.body();
  }

  /** What a part is made of; it may fail, and the bundle goes on. */
  @FunctionalInterface
  private interface Part {
    byte[] get() throws Exception;
  }

  /** Adds the part {@code name} from {@code source}, or its failure, to the manifest. */
  private static void part(
      Map<String, byte[]> files,
      List<Map<String, Object>> collected,
      String name,
      String source,
      Part part) {
    try {
      byte[] bytes = part.get();
      files.put(name, bytes);
      collected.add(Map.of("file", name, "source", source, "bytes", bytes.length));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      collected.add(failure(name, source, e));
    } catch (Exception e) {
      collected.add(failure(name, source, e));
    }
  }

  private static Map<String, Object> failure(String name, String source, Exception e) {
    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return Map.of("file", name, "source", source, "error", why);
  }

  private static byte[] json(Object value) throws IOException {
    return JSON.writeValueAsBytes(value);
  }

  /**
   * Writes the archive whole, owner-only (it names users, nodes and addresses), then renames it.
   */
  private static void write(Path archive, Map<String, byte[]> files) throws IOException {
    Path dir = archive.toAbsolutePath().getParent();
    Path partial =
        Files.createTempFile(
            dir,
            ".support-bundle",
            ".part",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      try (OutputStream file = Files.newOutputStream(partial);
          ZipOutputStream zip = new ZipOutputStream(file)) {
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
          zip.putNextEntry(new ZipEntry("multiconnect-support/" + f.getKey()));
          zip.write(f.getValue());
          zip.closeEntry();
        }
      }
      Files.move(
          partial, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
  }
}
