package io.multiconnect.common.net;

import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.List;

/**
 * A service whose requests that do not parse are refused with {@code INVALID_ARGUMENT} and the
 * reason, and whose status descriptions are bounded ({@link #MAX_DESCRIPTION_CHARS}). grpc-java
 * answers a request its marshaller cannot read with {@code UNKNOWN} "Application error processing
 * RPC", the status of a handler's bug: a caller (or an operator reading its logs) could not tell
 * its own bad bytes from a fault of the server. Here each request is parsed into either the message
 * or why it is not one, and a failure closes the call before the handler sees anything of it.
 */
public final class StrictRequests {
  private StrictRequests() {}

  public static ServerServiceDefinition of(BindableService service) {
    return of(service.bindService());
  }

  public static ServerServiceDefinition of(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods =
        service.getMethods().stream()
            .<ServerMethodDefinition<?, ?>>map(StrictRequests::wrap)
            .toList();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName())
            .setSchemaDescriptor(original.getSchemaDescriptor());
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder strict = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(strict::addMethod);
    return strict.build();
  }

  /**
   * The longest status description sent: a description may quote what the caller sent (an id, a
   * name), and trailers over the client's header limit (8 KiB by default in grpc-java) fail the
   * call there with {@code INTERNAL} "http2 exception" instead of the reason.
   */
  static final int MAX_DESCRIPTION_CHARS = 1024;

  private static Status clipped(Status status) {
    String d = status.getDescription();
    return d == null || d.length() <= MAX_DESCRIPTION_CHARS
        ? status
        : status.withDescription(d.substring(0, MAX_DESCRIPTION_CHARS) + "...");
  }

  /** A request as read from the wire: the message, or why the bytes are not one. */
  private record Parsed<Q>(Q message, String failure) {}

  private static <Q, R> ServerMethodDefinition<Parsed<Q>, R> wrap(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> method = m.getMethodDescriptor();
    MethodDescriptor<Parsed<Q>, R> lenient =
        method.toBuilder(
                new Lenient<>(method.getRequestMarshaller()), method.getResponseMarshaller())
            .build();
    return ServerMethodDefinition.create(lenient, new Handler<>(m.getServerCallHandler(), method));
  }

  /** Parses with the method's own marshaller, catching what it throws. */
  private record Lenient<Q>(MethodDescriptor.Marshaller<Q> inner)
      implements MethodDescriptor.Marshaller<Parsed<Q>> {
    @Override
    public InputStream stream(Parsed<Q> value) {
      return inner.stream(value.message());
    }

    @Override
    public Parsed<Q> parse(InputStream stream) {
      try {
        return new Parsed<>(inner.parse(stream), null);
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        return new Parsed<>(null, "the request does not parse: " + cause.getMessage());
      }
    }
  }

  /** Hands parsed requests to the method's handler; refuses the call at the first that is not. */
  private record Handler<Q, R>(ServerCallHandler<Q, R> inner, MethodDescriptor<Q, R> method)
      implements ServerCallHandler<Parsed<Q>, R> {
    @Override
    public ServerCall.Listener<Parsed<Q>> startCall(
        ServerCall<Parsed<Q>, R> wire, Metadata headers) {
      Call<Q, R> call = new Call<>(wire, method);
      ServerCall.Listener<Q> listener = inner.startCall(call, headers);
      return new ServerCall.Listener<>() {
        private boolean refused;

        @Override
        public void onMessage(Parsed<Q> request) {
          if (refused) {
            return;
          }
          if (request.failure() != null) {
            refused = true;
            call.refuse(Status.INVALID_ARGUMENT.withDescription(request.failure()));
            return;
          }
          listener.onMessage(request.message());
        }

        @Override
        public void onHalfClose() {
          if (!refused) {
            listener.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          listener.onCancel();
        }

        @Override
        public void onComplete() {
          listener.onComplete();
        }

        @Override
        public void onReady() {
          if (!refused) {
            listener.onReady();
          }
        }
      };
    }
  }

  /**
   * The call as the handler sees it: of the method's own types, and ended for the handler once
   * refused (what it sends afterwards, from any thread, is dropped instead of failing on a closed
   * call). Serialised, since the refusal and the handler may act from different threads.
   */
  private static final class Call<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<Parsed<Q>, R> wire;
    private final MethodDescriptor<Q, R> method;
    private boolean closed;
    private boolean refused;

    Call(ServerCall<Parsed<Q>, R> wire, MethodDescriptor<Q, R> method) {
      this.wire = wire;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      wire.request(numMessages);
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        wire.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(R message) {
      if (!closed) {
        wire.sendMessage(message);
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        wire.close(clipped(status), trailers);
      }
    }

    /** Ends the call for the client and, as if the client had cancelled it, for the handler. */
    synchronized void refuse(Status status) {
      refused = true;
      close(status, new Metadata());
    }

    @Override
    public synchronized boolean isCancelled() {
      return refused || wire.isCancelled();
    }

    @Override
    public synchronized boolean isReady() {
      return !closed && wire.isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      wire.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      wire.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      wire.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return wire.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return wire.getAttributes();
    }

    @Override
    public String getAuthority() {
      return wire.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }
}
