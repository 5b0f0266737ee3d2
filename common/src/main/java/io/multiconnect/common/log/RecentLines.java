package io.multiconnect.common.log;

import java.util.ArrayDeque;

/**
 * The last lines a node logged, for a support bundle ({@code GET /logs}): at most {@code maxLines}
 * lines and {@code maxChars} characters, the oldest dropped first. A line longer than {@code
 * maxChars} is kept clipped.
 */
final class RecentLines {
  private final int maxLines;
  private final int maxChars;
  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private long chars;

  RecentLines(int maxLines, int maxChars) {
    if (maxLines < 1 || maxChars < 1) {
      throw new IllegalArgumentException("maxLines and maxChars must be positive");
    }
    this.maxLines = maxLines;
    this.maxChars = maxChars;
  }

  synchronized void add(String line) {
    String kept = line.length() > maxChars ? line.substring(0, maxChars) : line;
    lines.addLast(kept);
    chars += kept.length();
    while (lines.size() > maxLines || chars > maxChars) {
      chars -= lines.removeFirst().length();
    }
  }

  /** The lines kept, oldest first, each ended by a newline. */
  synchronized String text() {
    StringBuilder b = new StringBuilder((int) chars + lines.size());
    for (String l : lines) {
      b.append(l).append('\n');
    }
    return b.toString();
  }
}
