package io.multiconnect.master.core;

/**
 * A master added to the Raft group at run time, as the other masters learn it: its Raft address
 * (Ratis traffic) and its API address (ControlPlane and Admin), both {@code host:port}. Masters of
 * the initial group are known from the configuration instead.
 */
public record Master(String id, String raftAddress, String apiAddress) {}
