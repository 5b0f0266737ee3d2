package io.multiconnect.master.core;

/**
 * A registered coreapp: its id, the host:port of its gRPC server, and whether it is drained (it
 * left, or an operator drained it): a drained coreapp is given no shard until it registers again.
 */
public record Coreapp(String id, String address, boolean drained) {}
