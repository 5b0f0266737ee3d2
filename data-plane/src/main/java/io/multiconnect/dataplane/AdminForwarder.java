package io.multiconnect.dataplane;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.multiconnect.master.grpc.GrpcErrors;
import io.multiconnect.proto.v1.AdminGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Sends admin calls to the masters: reads to any master that answers, writes to the leader
 * (following the leader address a follower returns). Throws {@link NoMasterException} when no
 * master could take the call.
 */
public final class AdminForwarder implements AutoCloseable {
  static final long DEADLINE_MS = 3_000;

  private final List<String> masters;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public AdminForwarder(List<String> masters) {
    this.masters = List.copyOf(masters);
  }

  /** No master answered, or none is the leader. */
  public static final class NoMasterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NoMasterException(String message) {
      super(message);
    }
  }

  public <T> T call(Function<AdminGrpc.AdminBlockingStub, T> call) {
    String last = "no master configured";
    List<String> order = new ArrayList<>(masters);
    for (int i = 0; i < order.size() && i < 2 * masters.size(); i++) {
      ManagedChannel ch = channels.computeIfAbsent(order.get(i), Endpoints::channel);
      try {
        return call.apply(
            AdminGrpc.newBlockingStub(ch)
                .withDeadline(Deadline.after(DEADLINE_MS, TimeUnit.MILLISECONDS)));
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.FAILED_PRECONDITION
            && e.getTrailers() != null
            && e.getTrailers().get(GrpcErrors.LEADER_KEY) != null) {
          order.add(i + 1, e.getTrailers().get(GrpcErrors.LEADER_KEY));
        } else if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
          throw e;
        }
        last = e.getStatus().toString();
      }
    }
    throw new NoMasterException("no master leader answered: " + last);
  }

  @Override
  public void close() {
    Endpoints.shutdown(new ArrayList<>(channels.values()));
  }
}
