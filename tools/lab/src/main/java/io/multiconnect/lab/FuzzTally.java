package io.multiconnect.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What a fuzz run saw: answers by route (or method) and kind, and the findings. */
final class FuzzTally {
  /** The most findings of one kind kept as examples. */
  private static final int EXAMPLES = 20;

  final Map<String, Map<String, Long>> answers = new TreeMap<>();
  final List<String> findings = new ArrayList<>();
  long requests;
  long serverErrors;
  long badShapes;
  long hangs;
  long failures;

  /** A REST answer; {@code what} names the request and the start of the answer's body. */
  void rest(String route, int status, boolean shapeOk, String what) {
    count(route, String.valueOf(status));
    if (status >= 500) {
      serverErrors++;
      finding("5xx " + status + " on " + what);
    }
    if (!shapeOk) {
      badShapes++;
      finding("error body not in the On-Premises shape: " + status + " on " + what);
    }
  }

  /** A gRPC answer with the status's description, if any. */
  void grpc(String method, String status, String description) {
    count(method, status);
    if (status.equals("UNKNOWN") || status.equals("INTERNAL") || status.equals("DATA_LOSS")) {
      serverErrors++;
      finding(status + " from " + method + ": " + description);
    }
    if ((description == null || description.isBlank()) && !status.equals("OK")) {
      badShapes++;
      finding("no reason with " + status + " from " + method);
    }
  }

  void hang(String where, String what) {
    count(where, "no answer");
    hangs++;
    finding("no answer within the timeout: " + what);
  }

  void failed(String where, String what) {
    count(where, "connection failed");
    failures++;
    finding("connection failed on " + where + ": " + what);
  }

  /** The connection closed while a body over the webapp's limit was still being sent. */
  void closedOnOversizedBody(String where) {
    count(where, "closed: body over the limit");
  }

  private void count(String where, String kind) {
    requests++;
    answers.computeIfAbsent(where, k -> new TreeMap<>()).merge(kind, 1L, Long::sum);
  }

  private void finding(String what) {
    if (findings.size() < EXAMPLES) {
      findings.add(what);
    }
  }

  boolean clean() {
    return serverErrors == 0 && badShapes == 0 && hangs == 0 && failures == 0;
  }

  /** A Markdown table of the answers, then the totals and the first findings. */
  String report(String title) {
    StringBuilder b = new StringBuilder("### " + title + "\n\n| where | answers |\n|---|---|\n");
    answers.forEach(
        (where, kinds) ->
            b.append("| `").append(where).append("` | ").append(kinds).append(" |\n"));
    b.append("\n")
        .append(requests)
        .append(" requests: ")
        .append(serverErrors)
        .append(" server errors, ")
        .append(badShapes)
        .append(" refusals without the expected shape or reason, ")
        .append(hangs)
        .append(" without an answer, ")
        .append(failures)
        .append(" connection failures\n");
    findings.forEach(f -> b.append("- ").append(f).append('\n'));
    return b.toString();
  }
}
