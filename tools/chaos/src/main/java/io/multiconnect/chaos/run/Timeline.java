package io.multiconnect.chaos.run;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A self-contained HTML page (inline SVG) of a run: one row per shard (as {@code s/n}), a bar per
 * coreapp lease coloured by coreapp, the faults as shaded spans with their names, admin writes as
 * ticks, and each violation's message below.
 */
final class Timeline {
  private static final String[] COLOURS = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"
  };

  private Timeline() {}

  static String html(History h, long startNanos, String title, List<String> violations) {
    List<Event> leases = h.select("lease");
    TreeSet<String> rows = new TreeSet<>();
    leases.forEach(e -> rows.add(e.shard() + "/" + e.shardCount()));
    long end = h.events().isEmpty() ? startNanos : h.events().get(h.events().size() - 1).time();
    double seconds = Math.max(1, (end - startNanos) / 1e9);
    int width = 1200;
    int left = 70;
    int rowHeight = 28;
    int top = 30;
    int height = top + rowHeight * rows.size() + 40;
    double scale = (width - left - 10) / seconds;
    Map<String, Integer> rowIndex = new HashMap<>();
    for (String r : rows) {
      rowIndex.put(r, rowIndex.size());
    }
    Map<String, String> colour = new HashMap<>();
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'"
                + " font-size='11'>%n",
            width, height));
    // Faults: shaded spans from their start to their end.
    Map<String, Event> started = new HashMap<>();
    for (Event f : h.select("fault")) {
      if (f.type() == Event.Type.INVOKE) {
        started.put(f.key() + f.value(), f);
      } else {
        Event s = started.remove(f.key() + f.value());
        if (s != null) {
          double x = left + (s.time() - startNanos) / 1e9 * scale;
          rect(
              svg,
              x,
              (f.time() - s.time()) / 1e9 * scale,
              top - 14,
              height - top - 10,
              "#f4cccc99",
              s.value());
          svg.append(
              String.format(
                  "<text x='%.1f' y='%d' fill='#a00'>%s</text>%n",
                  x + 2, top - 4, escape(s.key().toLowerCase())));
        }
      }
    }
    for (String r : rows) {
      int y = top + rowIndex.get(r) * rowHeight;
      svg.append(String.format("<text x='4' y='%d'>shard %s</text>%n", y + rowHeight / 2 + 4, r));
    }
    for (Event e : leases) {
      String c = colour.computeIfAbsent(e.node(), k -> COLOURS[colour.size() % COLOURS.length]);
      int y = top + rowIndex.get(e.shard() + "/" + e.shardCount()) * rowHeight + 4;
      rect(
          svg,
          left + (e.time() - startNanos) / 1e9 * scale,
          (e.until() - e.time()) / 1e9 * scale,
          y,
          rowHeight - 8,
          c,
          e.node() + " epoch " + e.epoch());
    }
    for (Event a : h.select("admin", e -> e.type() == Event.Type.OK)) {
      double x = left + (a.time() - startNanos) / 1e9 * scale;
      svg.append(
          String.format(
              "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='black'><title>%s=%s</title>"
                  + "</line>%n",
              x, x, top, height - 30, escape(a.key()), escape(a.value())));
    }
    for (int s = 0; s <= seconds; s += 10) {
      double x = left + s * scale;
      svg.append(String.format("<text x='%.1f' y='%d'>%ds</text>%n", x, height - 12, s));
    }
    svg.append("</svg>\n");
    StringBuilder legend = new StringBuilder();
    colour.forEach(
        (node, c) ->
            legend.append(
                String.format("<span style='color:%s'>&#9632; %s</span> ", c, escape(node))));
    List<String> shown = new ArrayList<>(violations.subList(0, Math.min(50, violations.size())));
    StringBuilder v = new StringBuilder();
    shown.forEach(s -> v.append("<li>").append(escape(s)).append("</li>\n"));
    return "<!doctype html>\n<html><head><meta charset='utf-8'><title>"
        + escape(title)
        + "</title></head>\n<body><h3>"
        + escape(title)
        + "</h3>\n<p>Primaries per shard (lease intervals the coreapps reported), faults shaded"
        + " red, admin writes as black lines. "
        + legend
        + "</p>\n"
        + svg
        + (shown.isEmpty() ? "<p>No violations.</p>" : "<h4>Violations</h4><ul>" + v + "</ul>")
        + "\n</body></html>\n";
  }

  /** A bar at least a pixel wide, with a tooltip. */
  private static void rect(
      StringBuilder svg, double x, double width, int y, int height, String fill, String title) {
    svg.append(
        String.format(
            "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='%s'><title>%s</title></rect>%n",
            x, y, Math.max(1, width), height, fill, escape(title)));
  }

  private static String escape(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&#39;");
  }
}
