package io.multiconnect.dataplane;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Group commit for calls. An item submitted while fewer than {@code maxInFlight} batches are on
 * their way goes at once; otherwise it waits, and every item that waits goes in the next batch (at
 * most {@code maxBatch} of them) as soon as a batch returns. A lone caller therefore pays nothing
 * for batching, and many concurrent callers share one call per batch: the cost of a call (a gRPC
 * round trip, most of a message's CPU on a small machine: docs/benchmarks-log-2026-11.md) is spread
 * over the load that arrived while the previous call was out.
 *
 * <p>Results are handed out by position: the sender answers one result per item, in order. A failed
 * batch fails each of its items with the batch's error.
 */
public final class Batcher<I, O> {
  /** Sends one batch; the future yields one result per item, in the batch's order. */
  @FunctionalInterface
  public interface Sender<I, O> {
    CompletableFuture<List<O>> send(List<I> batch);
  }

  private record Pending<I, O>(I item, CompletableFuture<O> result) {}

  private final Sender<I, O> sender;
  private final int maxBatch;
  private final int maxInFlight;
  private final ArrayDeque<Pending<I, O>> waiting = new ArrayDeque<>();
  private int inFlight;
  private long calls;
  private long items;

  public Batcher(Sender<I, O> sender, int maxBatch, int maxInFlight) {
    if (maxBatch < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("maxBatch and maxInFlight must be at least 1");
    }
    this.sender = sender;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
  }

  /** Queues {@code item}; the future yields its result, or fails with its batch's error. */
  public CompletableFuture<O> submit(I item) {
    CompletableFuture<O> result = new CompletableFuture<>();
    List<Pending<I, O>> batch;
    synchronized (this) {
      waiting.add(new Pending<>(item, result));
      batch = takeBatch();
    }
    if (batch != null) {
      send(batch);
    }
    return result;
  }

  /** Items waiting now for a batch to return (for metrics and tests). */
  public synchronized int waiting() {
    return waiting.size();
  }

  /** Batches sent so far. */
  public synchronized long calls() {
    return calls;
  }

  /** Items sent so far, in all batches: {@code items() / calls()} is the mean batch size. */
  public synchronized long items() {
    return items;
  }

  /** Under the lock: the next batch, if a call may start now; it then counts as in flight. */
  private List<Pending<I, O>> takeBatch() {
    if (inFlight >= maxInFlight || waiting.isEmpty()) {
      return null;
    }
    inFlight++;
    calls++;
    List<Pending<I, O>> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
    while (batch.size() < maxBatch && !waiting.isEmpty()) {
      batch.add(waiting.poll());
    }
    items += batch.size();
    return batch;
  }

  private void send(List<Pending<I, O>> batch) {
    List<I> items = new ArrayList<>(batch.size());
    batch.forEach(p -> items.add(p.item()));
    CompletableFuture<List<O>> call;
    try {
      call = sender.send(items);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete(
        (results, error) -> {
          Throwable failure = error;
          if (failure == null && (results == null || results.size() != batch.size())) {
            failure =
                new IllegalStateException(
                    "the sender answered "
                        + (results == null ? "nothing" : results.size() + " results")
                        + " for a batch of "
                        + batch.size());
          }
          for (int i = 0; i < batch.size(); i++) {
            if (failure == null) {
              batch.get(i).result().complete(results.get(i));
            } else {
              batch.get(i).result().completeExceptionally(failure);
            }
          }
          List<Pending<I, O>> next;
          synchronized (this) {
            inFlight--;
            next = takeBatch();
          }
          if (next != null) {
            send(next);
          }
        });
  }
}
