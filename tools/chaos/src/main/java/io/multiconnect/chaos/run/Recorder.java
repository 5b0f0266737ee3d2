package io.multiconnect.chaos.run;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The harness's own part of the history, appended and flushed line by line. */
final class Recorder implements AutoCloseable {
  private final BufferedWriter out;

  Recorder(Path file) throws IOException {
    this.out = Files.newBufferedWriter(file);
  }

  synchronized void record(Event e) {
    try {
      History.append(out, e);
      out.flush();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  /** An event of {@code process} now. */
  void record(Event.Type type, String process, String op, String key, String value) {
    record(Event.of(System.nanoTime(), type, process, op, key, value));
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
