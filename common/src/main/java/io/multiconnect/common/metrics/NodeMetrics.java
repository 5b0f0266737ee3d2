package io.multiconnect.common.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import java.time.Duration;

/**
 * One node's meters, exposed in the Prometheus text format: what the node registers (names under
 * {@code multiconnect_<role>_}), the JVM's (memory, garbage collection, threads, classes) and the
 * process's (CPU, uptime, open files). Each node has its own, so nodes sharing a JVM in tests do
 * not mix their figures (the JVM's own meters then describe the shared JVM).
 */
public final class NodeMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public NodeMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /**
   * A latency histogram's builder, with the buckets every role uses: from 1 ms to {@code max}
   * (Micrometer's percentile histogram, about 30 buckets), named in seconds on exposition.
   */
  public static Timer.Builder latency(String name, String description, Duration max) {
    return Timer.builder(name)
        .description(description)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(max);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Adds metrics collected at each scrape from elsewhere (Ratis's own registries). */
  public void register(MultiCollector collector) {
    registry.getPrometheusRegistry().register(collector);
  }

  /** Every meter now, in the Prometheus text format 0.0.4. */
  public String scrape() {
    return registry.scrape(MetricsEndpoint.CONTENT_TYPE);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
