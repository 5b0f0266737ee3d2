package io.multiconnect.common.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.event.Level;

class LogFormatTest {
  private static final Instant AT = Instant.parse("2026-12-07T08:00:00.123Z");
  private static final String LOGGER = "io.multiconnect.master.MasterNode";

  @Test
  void textIsForPeople() {
    assertEquals(
        "2026-12-07T08:00:00.123+0000 INFO MasterNode - master m1 started",
        LogFormat.TEXT.format(AT, Level.INFO, LOGGER, "main", "master m1 started", null));
  }

  @Test
  void keyValueIsOneLineWhateverTheMessageHolds() {
    String line =
        LogFormat.KV.format(
            AT, Level.WARN, LOGGER, "grpc worker 1", "a \"quoted\" word\nand a=b", null);
    assertEquals(
        "ts=2026-12-07T08:00:00.123+0000 level=WARN logger=io.multiconnect.master.MasterNode"
            + " thread=\"grpc worker 1\" msg=\"a \\\"quoted\\\" word\\nand a=b\"",
        line);
    String failed =
        LogFormat.KV.format(
            AT, Level.ERROR, LOGGER, "main", "failed", new IllegalStateException("x"));
    assertFalse(failed.contains("\n"), failed);
    assertTrue(failed.contains(" error=\"java.lang.IllegalStateException: x\\n\\tat "), failed);
  }

  @Test
  void jsonIsOneObjectPerLine() throws Exception {
    String line =
        LogFormat.JSON.format(
            AT,
            Level.ERROR,
            LOGGER,
            "main",
            "bell \u0007 and \u2028",
            new RuntimeException("boom"));
    assertFalse(line.contains("\n") || line.contains("\u2028"), line);
    JsonNode event = new ObjectMapper().readTree(line);
    assertEquals("2026-12-07T08:00:00.123+0000", event.path("ts").asText());
    assertEquals("ERROR", event.path("level").asText());
    assertEquals(LOGGER, event.path("logger").asText());
    assertEquals("bell \u0007 and \u2028", event.path("msg").asText());
    assertTrue(event.path("error").asText().startsWith("java.lang.RuntimeException: boom\n\tat "));
    assertEquals(
        "[ts, level, logger, thread, msg, error]",
        com.google.common.collect.ImmutableList.copyOf(event.fieldNames()).toString());
  }

  @Test
  void theEnvironmentChoosesFormatAndLevel() {
    assertEquals(LogFormat.TEXT, LogFormat.fromEnv(Map.of()));
    assertEquals(LogFormat.JSON, LogFormat.fromEnv(Map.of("MC_LOG_FORMAT", " JSON ")));
    assertThrows(
        IllegalArgumentException.class, () -> LogFormat.fromEnv(Map.of("MC_LOG_FORMAT", "xml")));

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    NodeLoggerFactory f =
        NodeLoggerFactory.fromEnv(Map.of("MC_LOG_FORMAT", "kv", "MC_LOG_LEVEL", "debug"), out);
    assertEquals(Level.DEBUG, f.levelOf("io.multiconnect.x"));
    assertEquals(Level.WARN, f.levelOf("org.apache.ratis.server.RaftServer"));
    Logger ratis = f.getLogger("org.apache.ratis.server.RaftServer");
    ratis.info("not written");
    ratis.warn("written {}", 1);
    f.getLogger("io.multiconnect.x.Y").debug("also {} {}", "written", 2);
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(2, lines.length, String.join("\n", lines));
    assertTrue(lines[0].endsWith(" msg=\"written 1\""), lines[0]);
    assertTrue(lines[1].contains(" level=DEBUG logger=io.multiconnect.x.Y "), lines[1]);

    bytes.reset();
    NodeLoggerFactory fallback =
        NodeLoggerFactory.fromEnv(Map.of("MC_LOG_FORMAT", "xml", "MC_LOG_LEVEL", "loud"), out);
    assertEquals(Level.INFO, fallback.levelOf("io.multiconnect.x"));
    String said = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("MC_LOG_FORMAT: one of text, kv, json, got 'xml'"), said);
    assertTrue(said.contains("MC_LOG_LEVEL: one of TRACE"), said);
  }

  @Test
  void javaUtilLoggingComesInTheSameForm() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    JulBridge.install(NodeLoggerFactory.fromEnv(Map.of("MC_LOG_FORMAT", "kv"), out));
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.grpc.netty.Thing");
    jul.fine("not written");
    jul.log(java.util.logging.Level.WARNING, "channel {0} closed", "c-7");
    String written = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(1, written.lines().count(), written);
    assertTrue(written.contains(" level=WARN logger=io.grpc.netty.Thing "), written);
    assertTrue(written.strip().endsWith(" msg=\"channel c-7 closed\""), written);
    assertEquals(Level.ERROR, JulBridge.levelOf(java.util.logging.Level.SEVERE));
    assertEquals(Level.DEBUG, JulBridge.levelOf(java.util.logging.Level.FINE));
  }
}
