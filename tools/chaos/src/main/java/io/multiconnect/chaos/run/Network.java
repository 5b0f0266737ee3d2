package io.multiconnect.chaos.run;

import java.io.IOException;
import java.util.List;

/** Where the lab's processes live and how their traffic can be cut. */
interface Network extends AutoCloseable {

  /** Creates a node's place in the network (before its process starts). */
  void add(String node) throws IOException;

  /** The address other nodes use to reach {@code node}. */
  String host(String node);

  /** The command that runs {@code command} as {@code node}. */
  List<String> wrap(String node, List<String> command);

  /** Whether packets can be dropped (namespaces); loopback mode has process faults only. */
  boolean faults();

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
