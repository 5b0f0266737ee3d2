package io.multiconnect.common.metrics;

import io.multiconnect.common.tls.NodeTls;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Instant;
import java.util.Optional;

/**
 * When the node's TLS certificate and the first of its trusted CAs expire, as read at each scrape
 * (the files are read again as they are rotated): {@code
 * multiconnect_tls_certificate_expiry_timestamp_seconds{certificate="node"|"ca"}}. Nothing without
 * TLS.
 */
public final class TlsMetrics implements MultiCollector {
  private final NodeTls tls;

  public TlsMetrics(NodeTls tls) {
    this.tls = tls;
  }

  @Override
  public MetricSnapshots collect() {
    Families f = new Families();
    add(f, "node", tls.certificateExpiry());
    add(f, "ca", tls.earliestCaExpiry());
    return f.build();
  }

  private static void add(Families f, String certificate, Optional<Instant> expiry) {
    expiry.ifPresent(
        at ->
            f.gauge(
                "multiconnect_tls_certificate_expiry_timestamp_seconds",
                "When the certificate expires (node: this node's own; ca: the first trusted CA)",
                at.getEpochSecond(),
                "certificate",
                certificate));
  }
}
