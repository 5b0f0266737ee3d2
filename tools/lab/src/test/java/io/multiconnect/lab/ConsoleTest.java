package io.multiconnect.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console in a real headless browser (Debian's chromium) against a cluster of processes: the
 * page logs in, shows the masters and the shard map, and shows a killed primary's failover as it
 * happens, without a reload. Leaves a screenshot in target/console.png (docs/console.png).
 */
@Tag("slow")
class ConsoleTest {
  private static final String PASSWORD = "console-Passw0rd";

  @TempDir Path dir;

  @Test
  void thePageShowsTheClusterAndAFailoverLive() throws Exception {
    try (Lab lab = SmallTlsLab.create(dir.resolve("lab"), 3, Map.of())) {
      lab.zone("rack-1", "m1", "c1");
      lab.zone("rack-2", "m2", "m3", "c2");
      lab.start();
      lab.ready(500, 4_000, PASSWORD, Duration.ofSeconds(120));
      String base = lab.webappUrl("w1");
      // The stream is for logged-in users only.
      HttpResponse<String> anonymous =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(base + "/console/events")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(401, anonymous.statusCode());

      try (HeadlessBrowser browser = HeadlessBrowser.start(dir.resolve("chromium"), 1400, 1000)) {
        browser.open(base + "/console");
        await()
            .atMost(Duration.ofSeconds(20))
            .ignoreExceptions()
            .until(() -> !browser.eval("document.getElementById('login').hidden").asBoolean());
        browser.eval(
            "document.getElementById('password').value = '"
                + PASSWORD
                + "'; document.getElementById('signin').click(); true");
        // The masters with their roles, and shard 0 with its primary.
        await()
            .atMost(Duration.ofSeconds(20))
            .ignoreExceptions()
            .until(
                () -> {
                  String masters = text(browser, "#masters tbody");
                  return masters.contains("leader") && masters.contains("follower");
                });
        assertEquals(
            3, browser.eval("document.querySelectorAll('#masters tbody tr').length").asInt());
        // Each node's failure domain, from its configuration.
        assertTrue(text(browser, "#masters tbody").contains("rack-1"));
        await()
            .atMost(Duration.ofSeconds(20))
            .ignoreExceptions()
            .until(() -> text(browser, "#coreapps tbody").contains("rack-2"));
        String primary =
            await()
                .atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(
                    () -> text(browser, "#shards tbody tr[data-shard='0'] td:nth-child(2)"),
                    p -> p.startsWith("c"));
        assertTrue(text(browser, "#coreapps tbody").contains("primary"));
        browser.eval("window.sameDocument = true"); // a reload would drop it

        lab.kill(primary);
        String next =
            await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(
                    () -> text(browser, "#shards tbody tr[data-shard='0'] td:nth-child(2)"),
                    p -> p.startsWith("c") && !p.equals(primary));
        await()
            .atMost(Duration.ofSeconds(10))
            .ignoreExceptions()
            .until(
                () ->
                    text(browser, "#timeline")
                        .contains("shard 0 failover from " + primary + " to " + next));
        assertTrue(browser.eval("window.sameDocument === true").asBoolean(), "no reload");
        Path shot = Path.of("target/console.png");
        browser.screenshot(shot);
        assertTrue(Files.size(shot) > 10_000, "a screenshot of the page");
      }
    }
  }

  private static String text(HeadlessBrowser b, String selector) throws Exception {
    return b.eval("document.querySelector(\"" + selector + "\").textContent").asText();
  }
}
