package io.multiconnect.master.core;

/** A registered coreapp: its id and the host:port of its gRPC server. */
public record Coreapp(String id, String address) {}
