package io.multiconnect.dataplane;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.SettableFuture;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.multiconnect.proto.v1.ControlPlaneGrpc;
import io.multiconnect.proto.v1.HeartbeatRequest;
import io.multiconnect.proto.v1.HeartbeatResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A coreapp's heartbeats on one {@code HeartbeatStream} call to its current master instead of one
 * call each: a message on an open stream costs a fraction of a call's setup (headers, stream,
 * trailers), which is most of a heartbeat's cost at the leader (docs/benchmarks-log-2026-11.md).
 * Each heartbeat still gets its own answer, matched by its sequence, and its own deadline.
 *
 * <p>The stream is opened on the first send to a channel and reopened when the caller sends to
 * another one (it moved on to the next master), when the stream ended or failed (every heartbeat
 * waiting on it fails with that status), or when a heartbeat's deadline passed unanswered (a stuck
 * master). Thread-safe.
 */
public final class HeartbeatStream implements AutoCloseable {
  private final ScheduledExecutorService timer;
  private final Duration deadline;
  private final Map<Long, SettableFuture<HeartbeatResponse>> waiting = new HashMap<>();
  private ManagedChannel channel;
  private ClientCallStreamObserver<HeartbeatRequest> requests; // null: none open
  private boolean closed;

  /**
   * @param timer runs the deadlines
   * @param deadline how long a heartbeat may wait for its answer
   */
  public HeartbeatStream(ScheduledExecutorService timer, Duration deadline) {
    this.timer = timer;
    this.deadline = deadline;
  }

  /**
   * Sends {@code request} on the stream to {@code to} (opened or reopened as needed); the future
   * yields its answer, or fails with the stream's error or DEADLINE_EXCEEDED. Sequences must be
   * unique among the heartbeats waiting.
   */
  public ListenableFuture<HeartbeatResponse> send(ManagedChannel to, HeartbeatRequest request) {
    SettableFuture<HeartbeatResponse> answer = SettableFuture.create();
    List<SettableFuture<HeartbeatResponse>> failed = List.of();
    Status moved = Status.CANCELLED.withDescription("moved to another master");
    synchronized (this) {
      if (closed) {
        answer.setException(Status.CANCELLED.withDescription("closed").asRuntimeException());
        return answer;
      }
      if (requests != null && channel != to) {
        ClientCallStreamObserver<HeartbeatRequest> old = requests;
        failed = detach(old);
        old.cancel(moved.getDescription(), null);
      }
      if (requests == null) {
        channel = to;
        requests = open(to);
      }
      long sequence = request.getSequence();
      waiting.put(sequence, answer);
      ClientCallStreamObserver<HeartbeatRequest> stream = requests;
      stream.onNext(request);
      timer.schedule(
          () -> expire(stream, sequence, answer), deadline.toNanos(), TimeUnit.NANOSECONDS);
    }
    fail(failed, moved);
    return answer;
  }

  private ClientCallStreamObserver<HeartbeatRequest> open(ManagedChannel to) {
    return (ClientCallStreamObserver<HeartbeatRequest>)
        ControlPlaneGrpc.newStub(to)
            .heartbeatStream(
                new ClientResponseObserver<HeartbeatRequest, HeartbeatResponse>() {
                  private ClientCallStreamObserver<HeartbeatRequest> mine;

                  @Override
                  public void beforeStart(ClientCallStreamObserver<HeartbeatRequest> stream) {
                    mine = stream;
                  }

                  @Override
                  public void onNext(HeartbeatResponse r) {
                    SettableFuture<HeartbeatResponse> f;
                    synchronized (HeartbeatStream.this) {
                      f = waiting.remove(r.getSequence());
                    }
                    if (f != null) {
                      f.set(r);
                    }
                  }

                  @Override
                  public void onError(Throwable t) {
                    ended(mine, Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    ended(mine, Status.UNAVAILABLE.withDescription("the master ended the stream"));
                  }
                });
  }

  /** A heartbeat unanswered by its deadline fails, and so does its stream if still in use. */
  private void expire(
      ClientCallStreamObserver<HeartbeatRequest> stream,
      long sequence,
      SettableFuture<HeartbeatResponse> answer) {
    Status late = Status.DEADLINE_EXCEEDED.withDescription("no answer in " + deadline);
    List<SettableFuture<HeartbeatResponse>> failed;
    synchronized (this) {
      if (waiting.get(sequence) != answer) {
        return; // answered, or failed with its stream
      }
      if (requests == stream) {
        failed = detach(stream);
        stream.cancel(late.getDescription(), null);
      } else {
        waiting.remove(sequence);
        failed = List.of(answer);
      }
    }
    fail(failed, late);
  }

  /** The stream ended from the master's side or the network's. */
  private void ended(ClientCallStreamObserver<HeartbeatRequest> stream, Status why) {
    List<SettableFuture<HeartbeatResponse>> failed;
    synchronized (this) {
      failed = detach(stream);
    }
    fail(failed, why);
  }

  /**
   * Under the lock: if {@code stream} is the one in use, forgets it and returns every heartbeat
   * waiting (to fail outside the lock); an older stream's heartbeats were failed when it was left.
   */
  private List<SettableFuture<HeartbeatResponse>> detach(
      ClientCallStreamObserver<HeartbeatRequest> stream) {
    if (stream == null || requests != stream) {
      return List.of();
    }
    requests = null;
    List<SettableFuture<HeartbeatResponse>> all = new ArrayList<>(waiting.values());
    waiting.clear();
    return all;
  }

  private static void fail(List<SettableFuture<HeartbeatResponse>> futures, Status why) {
    futures.forEach(f -> f.setException(why.asRuntimeException()));
  }

  @Override
  public void close() {
    Status why = Status.CANCELLED.withDescription("closed");
    List<SettableFuture<HeartbeatResponse>> failed = List.of();
    synchronized (this) {
      closed = true;
      ClientCallStreamObserver<HeartbeatRequest> stream = requests;
      if (stream != null) {
        failed = detach(stream);
        stream.cancel(why.getDescription(), null);
      }
    }
    fail(failed, why);
  }
}
