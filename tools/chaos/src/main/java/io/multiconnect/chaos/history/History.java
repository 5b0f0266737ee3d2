package io.multiconnect.chaos.history;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/** A run's events in time order; read from and appended to a JSONL file. */
public final class History {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final List<Event> events;

  public History(List<Event> events) {
    List<Event> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparingLong(Event::time));
    this.events = List.copyOf(sorted);
  }

  public List<Event> events() {
    return events;
  }

  public List<Event> select(String op) {
    return events.stream().filter(e -> op.equals(e.op())).toList();
  }

  public List<Event> select(String op, Predicate<Event> where) {
    return select(op).stream().filter(where).toList();
  }

  /** Reads a JSONL history; a line that does not parse fails with its line number. */
  public static History read(Path file) throws IOException {
    List<Event> events = new ArrayList<>();
    int n = 0;
    for (String line : Files.readAllLines(file)) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      try {
        events.add(JSON.readValue(line, Event.class));
      } catch (IOException e) {
        throw new IOException(file + ":" + n + ": " + e.getMessage(), e);
      }
    }
    return new History(events);
  }

  /** Appends one event as a JSON line (the history is append-only). */
  public static void append(BufferedWriter out, Event e) throws IOException {
    out.write(JSON.writeValueAsString(e));
    out.newLine();
  }

  /** Writes every event to a new file. */
  public void write(Path file) throws IOException {
    try (BufferedWriter out =
        Files.newBufferedWriter(
            file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
      for (Event e : events) {
        append(out, e);
      }
    }
  }
}
