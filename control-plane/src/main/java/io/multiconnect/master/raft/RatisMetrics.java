package io.multiconnect.master.raft;

import io.multiconnect.common.metrics.Families;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.util.List;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.thirdparty.com.codahale.metrics.Counter;
import org.apache.ratis.thirdparty.com.codahale.metrics.Gauge;
import org.apache.ratis.thirdparty.com.codahale.metrics.Metered;
import org.apache.ratis.thirdparty.com.codahale.metrics.Metric;
import org.apache.ratis.thirdparty.com.codahale.metrics.Sampling;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;

/**
 * Ratis's own metrics (elections, log appends and flushes, the state machine's apply times, each
 * follower's last heartbeat), read from its registries at each scrape and named {@code
 * ratis_<component>_<metric>}: a gauge as a gauge, a counter as a counter, a timer as its count and
 * its median and 99th percentile in seconds. Ratis keeps one process-wide set of registries; only
 * those of this master's own division are taken (masters sharing a JVM in tests keep theirs apart),
 * labelled with the division.
 */
public final class RatisMetrics implements MultiCollector {
  private static final List<Double> QUANTILES = List.of(0.5, 0.99);

  private final String peerId;

  public RatisMetrics(String peerId) {
    this.peerId = peerId;
  }

  @Override
  public MetricSnapshots collect() {
    Families f = new Families();
    for (RatisMetricRegistry r : MetricRegistries.global().getMetricRegistries()) {
      MetricRegistryInfo info = r.getMetricRegistryInfo();
      if (r instanceof RatisMetricRegistryImpl impl && isOwn(info.getPrefix())) {
        String family =
            PrometheusNaming.sanitizeMetricName(
                info.getApplicationName() + "_" + info.getMetricsComponentName());
        impl.getDropWizardMetricRegistry()
            .getMetrics()
            .forEach((name, metric) -> add(f, family, name, metric, info));
      }
    }
    return f.build();
  }

  /** A division's prefix is {@code <peer>@group-<id>}; a server's own is its peer id. */
  private boolean isOwn(String prefix) {
    return prefix.equals(peerId) || prefix.startsWith(peerId + "@");
  }

  private static void add(
      Families f, String family, String key, Metric metric, MetricRegistryInfo info) {
    String name = PrometheusNaming.sanitizeMetricName(family + "_" + key);
    String help = info.getMetricsDescription();
    String[] labels = {"division", info.getPrefix()};
    if (metric instanceof Gauge<?> g) {
      Object v = g.getValue();
      if (v instanceof Number n) {
        f.gauge(name, help, n.doubleValue(), labels);
      } else if (v instanceof Boolean b) {
        f.gauge(name, help, b ? 1 : 0, labels);
      }
    } else if (metric instanceof Counter c) {
      f.counter(name, help, c.getCount(), labels);
    } else if (metric instanceof Metered m) {
      f.counter(name + "_events", help, m.getCount(), labels);
    }
    if (metric instanceof Sampling s) {
      double scale = metric instanceof Timer ? 1e-9 : 1;
      String suffix = metric instanceof Timer ? "_seconds" : "";
      for (double q : QUANTILES) {
        f.gauge(
            name + suffix,
            help,
            s.getSnapshot().getValue(q) * scale,
            labels[0],
            labels[1],
            "quantile",
            Double.toString(q));
      }
    }
  }
}
