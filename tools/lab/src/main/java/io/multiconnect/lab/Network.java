package io.multiconnect.lab;

import java.io.IOException;
import java.util.List;

/** Where the lab's processes live and how their traffic can be cut. */
public interface Network extends AutoCloseable {

  /** Creates a node's place in the network (before its process starts). */
  void add(String node) throws IOException;

  /** The address other nodes use to reach {@code node}, as written in their configuration. */
  String host(String node);

  /** The address the harness itself uses to reach {@code node}. */
  String clientHost(String node);

  /** The address a process that cannot resolve lab names (the database server) binds. */
  String bindAddress(String node);

  /** The address the nodes reach the harness itself at (its webhook receiver). */
  default String harnessHost() {
    return "127.0.0.1";
  }

  /** Whether every node has an address of its own, so nodes may share port numbers. */
  boolean ownAddresses();

  /** {@code node} will listen on {@code port} (called before its process starts). */
  void expose(String node, int port) throws IOException;

  /** The command that runs {@code command} as {@code node}. */
  List<String> wrap(String node, List<String> command);

  /** Drops every packet from {@code from} to {@code to}. */
  void cut(String from, String to) throws IOException;

  /** Drops {@code percent} of the packets to and from {@code node}. */
  void loss(String node, int percent) throws IOException;

  /** Removes every rule: all links work again. */
  void heal() throws IOException;

  /** Removes everything {@link #add} made; never throws. */
  @Override
  void close();
}
