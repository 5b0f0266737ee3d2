package io.multiconnect.common.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metric families collected at scrape time from a node's current view (the shard map, the leader's
 * view of the coreapps, Ratis's registries), for collectors whose label sets change as the cluster
 * does. A name keeps the type it was first given, and a label set its first value: a point that
 * would break either is dropped, so one odd source cannot make the whole exposition invalid.
 */
public final class Families {
  private enum Type {
    GAUGE,
    COUNTER
  }

  private record Family(Type type, String help, Map<List<String>, Double> points) {}

  private final Map<String, Family> families = new LinkedHashMap<>();

  /** Adds a gauge point; {@code labels} are name, value pairs. */
  public Families gauge(String name, String help, double value, String... labels) {
    return add(name, Type.GAUGE, help, value, labels);
  }

  /** Adds a counter point; {@code name} without the {@code _total} the exposition appends. */
  public Families counter(String name, String help, double value, String... labels) {
    return add(name, Type.COUNTER, help, value, labels);
  }

  private Families add(String name, Type type, String help, double value, String... labels) {
    Family f = families.computeIfAbsent(name, n -> new Family(type, help, new LinkedHashMap<>()));
    if (f.type() == type) {
      f.points().putIfAbsent(List.of(labels), value);
    }
    return this;
  }

  public MetricSnapshots build() {
    List<MetricSnapshot> out = new ArrayList<>();
    families.forEach(
        (name, f) -> {
          if (f.type() == Type.GAUGE) {
            GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(f.help());
            f.points()
                .forEach(
                    (labels, v) ->
                        b.dataPoint(
                            GaugeSnapshot.GaugeDataPointSnapshot.builder()
                                .value(v)
                                .labels(labelsOf(labels))
                                .build()));
            out.add(b.build());
          } else {
            CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(f.help());
            f.points()
                .forEach(
                    (labels, v) ->
                        b.dataPoint(
                            CounterSnapshot.CounterDataPointSnapshot.builder()
                                .value(v)
                                .labels(labelsOf(labels))
                                .build()));
            out.add(b.build());
          }
        });
    return new MetricSnapshots(out);
  }

  private static Labels labelsOf(List<String> pairs) {
    return Labels.of(pairs.toArray(String[]::new));
  }
}
