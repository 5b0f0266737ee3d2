package io.multiconnect.dataplane.coreapp;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** Runs a call's outcome on the coreapp's loop thread, which owns the lease and the session. */
final class OnLoop {
  private OnLoop() {}

  static <T> void when(
      ListenableFuture<T> call, Executor loop, Consumer<T> ok, Consumer<Throwable> failed) {
    Futures.addCallback(
        call,
        new FutureCallback<T>() {
          @Override
          public void onSuccess(T result) {
            ok.accept(result);
          }

          @Override
          public void onFailure(Throwable t) {
            failed.accept(t);
          }
        },
        loop);
  }
}
