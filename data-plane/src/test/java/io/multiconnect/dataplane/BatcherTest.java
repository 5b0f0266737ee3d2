package io.multiconnect.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class BatcherTest {
  /** A sender whose calls the test answers by hand. */
  private static final class Calls implements Batcher.Sender<Integer, String> {
    final List<List<Integer>> batches = new ArrayList<>();
    final List<CompletableFuture<List<String>>> answers = new ArrayList<>();

    @Override
    public CompletableFuture<List<String>> send(List<Integer> batch) {
      batches.add(batch);
      CompletableFuture<List<String>> f = new CompletableFuture<>();
      answers.add(f);
      return f;
    }

    void answer(int call) {
      answers.get(call).complete(batches.get(call).stream().map(i -> "r" + i).toList());
    }
  }

  @Test
  void aLoneItemGoesAtOnceAlone() throws Exception {
    Calls calls = new Calls();
    Batcher<Integer, String> b = new Batcher<>(calls, 100, 1);
    CompletableFuture<String> r = b.submit(7);
    assertEquals(List.of(List.of(7)), calls.batches);
    calls.answer(0);
    assertEquals("r7", r.get());
  }

  @Test
  void itemsArrivingWhileABatchIsOutGoTogetherInTheNextInOrder() throws Exception {
    Calls calls = new Calls();
    Batcher<Integer, String> b = new Batcher<>(calls, 100, 1);
    CompletableFuture<String> first = b.submit(1);
    List<CompletableFuture<String>> later = new ArrayList<>();
    for (int i = 2; i <= 5; i++) {
      later.add(b.submit(i));
    }
    assertEquals(1, calls.batches.size(), "one call out at a time");
    assertEquals(4, b.waiting());
    calls.answer(0);
    assertEquals("r1", first.get());
    assertEquals(List.of(2, 3, 4, 5), calls.batches.get(1));
    assertFalse(later.get(0).isDone());
    calls.answer(1);
    for (int i = 0; i < later.size(); i++) {
      assertEquals("r" + (i + 2), later.get(i).get());
    }
    assertEquals(0, b.waiting());
    assertEquals(2, b.calls());
    assertEquals(5, b.items());
  }

  @Test
  void batchesNeverExceedTheirSizeAndUpToMaxInFlightGoAtOnce() {
    Calls calls = new Calls();
    Batcher<Integer, String> b = new Batcher<>(calls, 3, 2);
    for (int i = 0; i < 10; i++) {
      b.submit(i);
    }
    assertEquals(List.of(List.of(0), List.of(1)), calls.batches, "two calls out, alone each");
    calls.answer(1);
    assertEquals(List.of(2, 3, 4), calls.batches.get(2));
    calls.answer(0);
    assertEquals(List.of(5, 6, 7), calls.batches.get(3));
    calls.answer(2);
    assertEquals(List.of(8, 9), calls.batches.get(4));
    assertEquals(5, calls.batches.size());
  }

  @Test
  void aFailedBatchFailsEachOfItsItemsAndTheNextBatchStillGoes() throws Exception {
    Calls calls = new Calls();
    Batcher<Integer, String> b = new Batcher<>(calls, 100, 1);
    CompletableFuture<String> first = b.submit(1);
    CompletableFuture<String> second = b.submit(2);
    IllegalStateException boom = new IllegalStateException("unreachable");
    calls.answers.get(0).completeExceptionally(boom);
    ExecutionException e = assertThrows(ExecutionException.class, first::get);
    assertSame(boom, e.getCause());
    assertEquals(List.of(2), calls.batches.get(1));
    calls.answer(1);
    assertEquals("r2", second.get());
  }

  @Test
  void aSenderThatThrowsOrMiscountsFailsTheBatchInsteadOfLosingItems() throws Exception {
    Batcher<Integer, String> throwing =
        new Batcher<>(
            batch -> {
              throw new IllegalArgumentException("bad batch");
            },
            10,
            1);
    ExecutionException thrown = assertThrows(ExecutionException.class, throwing.submit(1)::get);
    assertEquals("bad batch", thrown.getCause().getMessage());
    // Not stuck: the failed call no longer counts as in flight.
    assertTrue(throwing.submit(2).isCompletedExceptionally());

    Batcher<Integer, String> short1 =
        new Batcher<>(batch -> CompletableFuture.completedFuture(List.of()), 10, 1);
    ExecutionException miscounted = assertThrows(ExecutionException.class, short1.submit(1)::get);
    assertTrue(miscounted.getCause().getMessage().contains("0 results for a batch of 1"));
  }

  @Test
  void rejectsSizesBelowOne() {
    assertThrows(IllegalArgumentException.class, () -> new Batcher<>(new Calls(), 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Batcher<>(new Calls(), 1, 0));
  }
}
