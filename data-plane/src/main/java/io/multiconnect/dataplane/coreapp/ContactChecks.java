package io.multiconnect.dataplane.coreapp;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.clock.NodeClock;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.proto.v1.CheckContactsRequest;
import io.multiconnect.proto.v1.CheckContactsResponse;
import io.multiconnect.proto.v1.Refusal;
import io.multiconnect.proto.v1.upstream.UpstreamContactsRequest;
import io.multiconnect.proto.v1.upstream.UpstreamContactsResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coreapp's side of CheckContacts (POST /v1/contacts): which WhatsApp ids of its shard are
 * WhatsApp users. Checked as a send is ({@link MessageSends#refusal}: the primary at that epoch,
 * its lease, a session, ids of its shard), answered from what the upstream said within {@link
 * #KEEP} unless {@code force_check}, else asked on the shard's session with a deadline within the
 * lease. Without {@code wait}, an id already asked about in the background is not asked again until
 * that answer came, and at most {@link #MAX_ASKING} ids are asked about at once.
 */
final class ContactChecks {
  /** How long an answer of the upstream is kept (the On-Premises API keeps contacts 7 days). */
  static final Duration KEEP = Duration.ofDays(7);

  /** The most ids kept; the least recently asked go first. */
  static final int MAX_KEPT = 100_000;

  /** Deadline of one call to the upstream, unless the acting deadline comes first. */
  static final Duration CHECK_DEADLINE = Duration.ofSeconds(2);

  private final NodeClock clock;
  private final Supplier<Acting> active;
  private final MessageSends sends;

  /** Whether each id is a WhatsApp user, and until when that is trusted (nanoTime). */
  private record Known(boolean onWhatsApp, long untilNanos) {}

  /** The most ids a coreapp asks about in the background at once. */
  static final int MAX_ASKING = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(ContactChecks.class);

  /** The ids a question in the background is out for. */
  private final Set<String> asking = new HashSet<>(); // guarded by itself

  private final Map<String, Known> known = // guarded by itself
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Known> eldest) {
          return size() > MAX_KEPT;
        }
      };

  ContactChecks(NodeClock clock, Supplier<Acting> active, MessageSends sends) {
    this.clock = clock;
    this.active = active;
    this.sends = sends;
  }

  void check(CheckContactsRequest r, StreamObserver<CheckContactsResponse> out) {
    Acting a = active.get();
    Optional<Refusal> refusal = sends.refusal(a, r.getShard(), r.getEpoch(), r.getWaIdsList());
    if (refusal.isPresent()) {
      out.onError(GrpcWire.refused(refusal.get()));
      return;
    }
    List<String> statuses = new ArrayList<>(r.getWaIdsCount());
    Set<String> asked = new LinkedHashSet<>();
    for (String id : r.getWaIdsList()) {
      Optional<Boolean> k = r.getForceCheck() ? Optional.empty() : known(id);
      statuses.add(k.map(ContactChecks::status).orElse("processing"));
      if (k.isEmpty()) {
        asked.add(id);
      }
    }
    List<String> unknown = List.copyOf(asked);
    if (unknown.isEmpty()) {
      answer(out, statuses);
      return;
    }
    if (r.getWait()) {
      ask(
          a,
          unknown,
          answered -> {
            for (int i = 0; i < statuses.size(); i++) {
              Boolean on = answered.get(r.getWaIds(i));
              if (on != null) {
                statuses.set(i, status(on));
              }
            }
            answer(out, statuses);
          },
          failure ->
              out.onError(
                  Status.UNAVAILABLE
                      .withDescription(
                          "upstream refused or unreachable: " + Status.fromThrowable(failure))
                      .asRuntimeException()));
      return;
    }
    answer(out, statuses); // the ids not known yet "processing": the upstream's answer is kept
    List<String> mine = claim(unknown);
    if (!mine.isEmpty()) {
      // The answer ended this call's context: the question runs in a context of its own, or gRPC
      // would cancel it with the call.
      Context.current()
          .fork()
          .run(
              () ->
                  ask(
                      a,
                      mine,
                      answered -> release(mine),
                      failure -> {
                        release(mine);
                        LOG.warn(
                            "contacts check of {} ids not answered by the upstream: {}",
                            mine.size(),
                            Status.fromThrowable(failure));
                      }));
    }
  }

  /**
   * Of {@code ids}, those no question in the background is out for yet, now claimed for one; none
   * beyond {@link #MAX_ASKING} ids out at once (a later check asks them).
   */
  private List<String> claim(List<String> ids) {
    synchronized (asking) {
      List<String> mine = new ArrayList<>();
      for (String id : ids) {
        if (asking.size() >= MAX_ASKING) {
          break;
        }
        if (asking.add(id)) {
          mine.add(id);
        }
      }
      return mine;
    }
  }

  private void release(List<String> ids) {
    synchronized (asking) {
      ids.forEach(asking::remove);
    }
  }

  /**
   * Asks the upstream about {@code ids} on {@code a}'s session, keeps its answers and hands them to
   * {@code answered}; or the failure to {@code failed}.
   */
  private void ask(
      Acting a,
      List<String> ids,
      Consumer<Map<String, Boolean>> answered,
      Consumer<Throwable> failed) {
    Futures.addCallback(
        a.upstream(clock.nanoTime(), CHECK_DEADLINE)
            .checkContacts(
                UpstreamContactsRequest.newBuilder()
                    .setSessionId(a.sessionId())
                    .setEpoch(a.epoch())
                    .addAllWaIds(ids)
                    .build()),
        new FutureCallback<UpstreamContactsResponse>() {
          @Override
          public void onSuccess(UpstreamContactsResponse u) {
            if (u.getOnWhatsappCount() != ids.size()) {
              onFailure(
                  Status.UNAVAILABLE
                      .withDescription("the upstream answered " + u.getOnWhatsappCount() + " ids")
                      .asRuntimeException());
              return;
            }
            Map<String, Boolean> answers = new LinkedHashMap<>();
            for (int i = 0; i < ids.size(); i++) {
              answers.put(ids.get(i), u.getOnWhatsapp(i));
            }
            remember(answers);
            answered.accept(answers);
          }

          @Override
          public void onFailure(Throwable t) {
            failed.accept(t);
          }
        },
        MoreExecutors.directExecutor());
  }

  private static String status(boolean onWhatsApp) {
    return onWhatsApp ? "valid" : "invalid";
  }

  private static void answer(StreamObserver<CheckContactsResponse> out, List<String> statuses) {
    out.onNext(CheckContactsResponse.newBuilder().addAllStatuses(statuses).build());
    out.onCompleted();
  }

  private Optional<Boolean> known(String waId) {
    synchronized (known) {
      Known k = known.get(waId);
      if (k == null || clock.nanoTime() - k.untilNanos() >= 0) {
        return Optional.empty();
      }
      return Optional.of(k.onWhatsApp());
    }
  }

  private void remember(Map<String, Boolean> answered) {
    long until = clock.nanoTime() + KEEP.toNanos();
    synchronized (known) {
      answered.forEach((id, on) -> known.put(id, new Known(on, until)));
    }
  }
}
