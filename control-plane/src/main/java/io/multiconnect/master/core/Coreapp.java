package io.multiconnect.master.core;

/**
 * A registered coreapp: its id, the process registered under it (its incarnation, a random nonce
 * the process drew at start), the host:port of its gRPC server, and whether it is drained (it left,
 * or an operator drained it): a drained coreapp is given no shard until it registers again.
 */
public record Coreapp(String id, String incarnation, String address, boolean drained) {}
