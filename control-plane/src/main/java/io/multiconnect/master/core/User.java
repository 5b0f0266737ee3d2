package io.multiconnect.master.core;

/**
 * An API user. {@code passwordHash} is a bcrypt hash (computed at the edge, never here); a user who
 * must change the password gets no token until it does.
 */
public record User(String username, String passwordHash, boolean mustChangePassword) {}
