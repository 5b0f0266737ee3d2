package io.multiconnect.common.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Prometheus text exposition read back for tests: each sample line's series ({@code name{labels}}
 * exactly as written, or {@code name}) and its value.
 */
public final class Scrape {
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{.*\\})?) (\\S+)$", Pattern.MULTILINE);

  private final Map<String, Double> samples = new LinkedHashMap<>();

  public Scrape(String text) {
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) {
      samples.put(m.group(1), Double.parseDouble(m.group(2)));
    }
  }

  /** The value of {@code series}, written as in the exposition: {@code name{a="1",b="2"}}. */
  public OptionalDouble value(String series) {
    Double v = samples.get(series);
    return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
  }

  /** The value of {@code series}; fails naming it when it is missing. */
  public double get(String series) {
    return value(series)
        .orElseThrow(() -> new AssertionError("no sample " + series + " in " + samples.keySet()));
  }

  /** Whether some sample's name starts with {@code prefix}. */
  public boolean hasFamily(String prefix) {
    return samples.keySet().stream().anyMatch(s -> s.startsWith(prefix));
  }

  /** The samples whose series starts with {@code prefix}. */
  public Map<String, Double> family(String prefix) {
    Map<String, Double> out = new LinkedHashMap<>();
    samples.forEach(
        (s, v) -> {
          if (s.startsWith(prefix)) {
            out.put(s, v);
          }
        });
    return out;
  }
}
