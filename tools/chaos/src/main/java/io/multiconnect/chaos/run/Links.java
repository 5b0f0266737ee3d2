package io.multiconnect.chaos.run;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The state of the proxy network's links: which directed pairs are cut and how lossy each node is.
 * A pump asks {@link #pass} before it forwards a chunk from one node to another; the call waits
 * while the pair is cut and, for a lossy node, sometimes holds the chunk back as TCP would while it
 * retransmits a lost segment. A proxy cannot drop bytes of a TCP stream, only delay them; a cut
 * stalls the stream, and the bytes go through after the heal, like retransmissions do.
 */
final class Links {
  /** How long a "lost" chunk is held back: a retransmission timeout, 200-600 ms. */
  static final long MIN_HOLD_MS = 200;

  static final long MAX_HOLD_MS = 600;

  private final Set<String> cut = new HashSet<>();
  private final Map<String, Integer> lossPercent = new HashMap<>();
  private final Random random;
  private boolean closed;

  Links(long seed) {
    this.random = new Random(seed);
  }

  synchronized void cut(String from, String to) {
    cut.add(from + ">" + to);
  }

  synchronized void loss(String node, int percent) {
    lossPercent.put(node, percent);
  }

  synchronized void heal() {
    cut.clear();
    lossPercent.clear();
    notifyAll();
  }

  synchronized void close() {
    closed = true;
    notifyAll();
  }

  /**
   * Waits until a chunk may go from {@code from} to {@code to}: while the pair is cut, and then for
   * a hold time with the loss probability of either end. False once the network is closed.
   */
  boolean pass(String from, String to) throws InterruptedException {
    long holdMs;
    synchronized (this) {
      while (!closed && cut.contains(from + ">" + to)) {
        wait();
      }
      if (closed) {
        return false;
      }
      int percent = Math.max(lossPercent.getOrDefault(from, 0), lossPercent.getOrDefault(to, 0));
      holdMs =
          percent > 0 && random.nextInt(100) < percent
              ? MIN_HOLD_MS + random.nextInt((int) (MAX_HOLD_MS - MIN_HOLD_MS))
              : 0;
    }
    if (holdMs > 0) {
      Thread.sleep(holdMs);
    }
    return true;
  }
}
