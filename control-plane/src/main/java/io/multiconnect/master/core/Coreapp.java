package io.multiconnect.master.core;

import java.time.Duration;

/**
 * A registered coreapp: its id, the process registered under it (its incarnation, a random nonce
 * the process drew at start), the host:port of its gRPC server, how long before its lease ends it
 * stops acting (its acting margin, which the settings must leave room for), its failure domain (the
 * zone of its configuration, {@code MC_ZONE}; empty when it names none) and whether it is drained
 * (it left, or an operator drained it): a drained coreapp is given no shard until it registers
 * again.
 */
public record Coreapp(
    String id,
    String incarnation,
    String address,
    Duration actingMargin,
    String zone,
    boolean drained) {

  /** This coreapp, drained or not. */
  Coreapp drained(boolean isDrained) {
    return new Coreapp(id, incarnation, address, actingMargin, zone, isDrained);
  }
}
