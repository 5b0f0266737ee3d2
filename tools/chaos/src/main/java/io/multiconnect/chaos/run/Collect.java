package io.multiconnect.chaos.run;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Deadline;
import io.multiconnect.chaos.history.Event;
import io.multiconnect.proto.v1.upstream.Report;
import io.multiconnect.proto.v1.upstream.ReportRequest;
import io.multiconnect.proto.v1.upstream.UpstreamEvent;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Turns what the nodes recorded (lease journals, the upstream's log) into history events. */
final class Collect {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** Bounds the pages read from the upstream: 100 million events, far beyond any run. */
  static final int MAX_REPORT_PAGES = 10_000;

  private Collect() {}

  /**
   * The upstream's whole report, read in pages of {@code pageSize} events (0: the simulator's; one
   * answer would pass gRPC's 4 MB limit a few minutes into a busy run). Fails when the simulator
   * dropped its oldest events: every check needs all of them.
   */
  static Report fullReport(UpstreamGrpc.UpstreamBlockingStub upstream, int pageSize) {
    Report.Builder all = Report.newBuilder();
    long after = 0;
    for (int page = 0; page < MAX_REPORT_PAGES; page++) {
      Report r =
          upstream
              .withDeadline(Deadline.after(30, TimeUnit.SECONDS))
              .getReport(
                  ReportRequest.newBuilder()
                      .setAfterSequence(after)
                      .setMaxEvents(pageSize)
                      .build());
      if (r.getFirstSequence() > 1) {
        throw new IllegalStateException(
            "the upstream simulator dropped its oldest "
                + (r.getFirstSequence() - 1)
                + " events (it keeps the newest --max-events); the checks need every one");
      }
      all.setBans(r.getBans())
          .setAcceptedMessages(r.getAcceptedMessages())
          .addAllEvents(r.getEventsList());
      if (!r.getMore() || r.getEventsCount() == 0) {
        return all.setFirstSequence(r.getFirstSequence()).build();
      }
      after = r.getEvents(r.getEventsCount() - 1).getSequence();
    }
    throw new IllegalStateException(
        "the upstream report did not end within " + MAX_REPORT_PAGES + " pages");
  }

  /**
   * A coreapp's lease journal as one {@code lease} interval per claim: from its start to the moment
   * the coreapp stopped acting if it wrote one, else to the {@code until} of its last line (a
   * process killed with SIGKILL acted no longer than that). Every coreapp creates its journal when
   * it starts, so a missing one means the run lost what it must check: that is an error, not an
   * empty list.
   */
  static List<Event> leases(Path journal) throws IOException {
    if (!Files.exists(journal)) {
      throw new NoSuchFileException(
          journal.toString(), null, "no lease journal: the coreapp never started or lost it");
    }
    Map<String, Event> byClaim = new LinkedHashMap<>();
    Map<String, Boolean> closed = new HashMap<>();
    for (String line : Files.readAllLines(journal)) {
      if (line.isBlank()) {
        continue;
      }
      Event e;
      try {
        e = JSON.readValue(line, Event.class);
      } catch (IOException partial) {
        continue; // a line cut short by SIGKILL
      }
      String claim = e.node() + "|" + e.epoch() + "|" + e.time();
      if (closed.getOrDefault(claim, false)) {
        continue;
      }
      // The latest line of a claim is the coreapp's latest word: later when renewed, earlier when
      // its clock's rate changed (the journal is in machine time) or it stopped.
      byClaim.put(
          claim,
          Event.interval(
                  "lease", e.node(), e.shard(), e.shardCount(), e.epoch(), e.time(), e.until())
              .byProcess(e.process()));
      closed.put(claim, "closed".equals(e.value()));
    }
    return new ArrayList<>(byClaim.values());
  }

  /**
   * What the upstream owes the webhook for an accepted message, from its log line {@code "CLIENT_ID
   * -> ID to RECIPIENT"}: {@code accepted} with key the upstream's id, value the recipient.
   */
  private static Optional<Event> accepted(UpstreamEvent u) {
    String d = u.getDetail();
    int arrow = d.indexOf(" -> ");
    int to = d.lastIndexOf(" to ");
    if (arrow < 0 || to < arrow) {
      return Optional.empty();
    }
    return Optional.of(
        Event.of(
            u.getAtMonotonicNanos(),
            Event.Type.OK,
            "upstream",
            "accepted",
            d.substring(arrow + 4, to),
            d.substring(to + 4)));
  }

  /**
   * The upstream's log: {@code accepted} per first acceptance of a message (its upstream id and
   * recipient), {@code delivered} per first acceptance of a message id, {@code duplicate} per
   * absorbed repeat, {@code session} intervals (still open ones until {@code now}), and {@code ban}
   * events.
   */
  static List<Event> upstream(Report report, long now) {
    List<Event> out = new ArrayList<>();
    Map<String, Deque<UpstreamEvent>> open = new HashMap<>();
    for (UpstreamEvent u : report.getEventsList()) {
      String session =
          process(u) + "|" + u.getShard() + "|" + u.getShardCount() + "|" + u.getEpoch();
      long t = u.getAtMonotonicNanos();
      switch (u.getKind()) {
        case "session_opened" -> open.computeIfAbsent(session, k -> new ArrayDeque<>()).addLast(u);
        case "session_closed" -> {
          Deque<UpstreamEvent> q = open.get(session);
          if (q != null && !q.isEmpty()) {
            out.add(sessionEvent(q.removeLast(), t));
          }
        }
        case "message_accepted", "message_duplicate" -> {
          String id = u.getMessageId();
          if (u.getKind().equals("message_accepted")) {
            accepted(u).ifPresent(out::add);
          }
          out.add(
              new Event(
                  t,
                  Event.Type.OK,
                  "upstream",
                  u.getKind().equals("message_accepted") ? "delivered" : "duplicate",
                  u.getCoreappId(),
                  u.getShard(),
                  u.getShardCount(),
                  u.getEpoch(),
                  null,
                  workloadKey(id),
                  null,
                  null));
        }
        case "ban" ->
            out.add(
                new Event(
                    t,
                    Event.Type.OK,
                    "upstream",
                    "ban",
                    u.getCoreappId(),
                    u.getShard(),
                    u.getShardCount(),
                    u.getEpoch(),
                    null,
                    null,
                    u.getDetail(),
                    null));
        default -> {}
      }
    }
    open.values().forEach(q -> q.forEach(u -> out.add(sessionEvent(u, now))));
    return out;
  }

  /** The coreapp process an upstream event concerns, as the lease journals name it. */
  private static String process(UpstreamEvent u) {
    return u.getCoreappId() + "/" + u.getIncarnation();
  }

  private static Event sessionEvent(UpstreamEvent opened, long until) {
    return Event.interval(
            "session",
            opened.getCoreappId(),
            opened.getShard(),
            opened.getShardCount(),
            opened.getEpoch(),
            opened.getAtMonotonicNanos(),
            until)
        .byProcess(process(opened));
  }

  /**
   * The workload's own key of an upstream message id: the webapp names a message sent with an
   * {@code Idempotency-Key} {@code key:USERNAME:KEY}; any other id is kept as it is.
   */
  static String workloadKey(String messageId) {
    if (!messageId.startsWith("key:")) {
      return messageId;
    }
    int user = messageId.indexOf(':', 4);
    return user < 0 ? messageId.substring(4) : messageId.substring(user + 1);
  }
}
