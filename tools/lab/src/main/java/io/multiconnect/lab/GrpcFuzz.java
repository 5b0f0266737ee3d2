package io.multiconnect.lab;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.multiconnect.common.wire.GrpcWire;
import io.multiconnect.proto.v1.AdminGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fuzzing of every gRPC service of the cluster: for each method, requests built from its message
 * type with random values in random fields (strings odd and long, numbers at their edges, nested
 * messages), some then corrupted byte by byte, sent over real sockets as raw bytes under several
 * identities (a certificate of each role, with and without a user's token). A server must answer
 * every one with a status that gives a reason; {@code UNKNOWN} or {@code INTERNAL} (an exception
 * that escaped a handler) and no answer within the deadline are findings. AddMaster is left out: it
 * makes the leader dial the address it is given, and the fuzz sends traffic only to the lab; Logout
 * goes without the token, which it would revoke.
 */
final class GrpcFuzz {
  /** Where calls go and as whom. */
  record Target(String name, Channel channel, ServiceDescriptor service) {}

  static final long DEADLINE_MS = 5_000;
  private static final long STREAM_WAIT_MS = 1_500;

  private final List<Target> targets;
  private final String authorization;
  private final Random random;

  GrpcFuzz(List<Target> targets, String authorization, Random random) {
    this.targets = targets;
    this.authorization = authorization;
    this.random = random;
  }

  FuzzTally run(int count) {
    FuzzTally tally = new FuzzTally();
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    List<Target> owners = new ArrayList<>();
    for (Target t : targets) {
      for (MethodDescriptor<?, ?> m : t.service().getMethods()) {
        if (m != AdminGrpc.getAddMasterMethod()) {
          methods.add(m);
          owners.add(t);
        }
      }
    }
    for (int i = 0; i < count; i++) {
      int pick = random.nextInt(methods.size());
      MethodDescriptor<?, ?> m = methods.get(pick);
      Target t = owners.get(pick);
      Channel channel = t.channel();
      // Logout with the token would revoke it for every later call: it is sent without one.
      if (m != AdminGrpc.getLogoutMethod() && random.nextBoolean()) {
        Metadata headers = new Metadata();
        headers.put(GrpcWire.AUTHORIZATION, authorization);
        channel =
            ClientInterceptors.intercept(
                channel, MetadataUtils.newAttachHeadersInterceptor(headers));
      }
      String where = t.name() + " " + m.getBareMethodName();
      call(channel, m, request(m), where, tally);
    }
    return tally;
  }

  private void call(
      Channel channel, MethodDescriptor<?, ?> m, byte[] request, String where, FuzzTally tally) {
    MethodDescriptor<byte[], byte[]> raw = m.toBuilder(BYTES, BYTES).build();
    try {
      switch (m.getType()) {
        case UNARY ->
            ClientCalls.blockingUnaryCall(
                channel,
                raw,
                CallOptions.DEFAULT.withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS),
                request);
        case SERVER_STREAMING -> {
          Iterator<byte[]> it =
              ClientCalls.blockingServerStreamingCall(
                  channel,
                  raw,
                  CallOptions.DEFAULT.withDeadlineAfter(STREAM_WAIT_MS, TimeUnit.MILLISECONDS),
                  request);
          it.hasNext();
        }
        default -> bidi(channel, raw, request);
      }
      tally.grpc(where, "OK", null);
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      boolean streaming = m.getType() != MethodDescriptor.MethodType.UNARY;
      if (s.getCode() == Status.Code.DEADLINE_EXCEEDED && !streaming) {
        tally.hang(where, where + " (" + request.length + " bytes)");
      } else {
        boolean open = streaming && s.getCode() == Status.Code.DEADLINE_EXCEEDED;
        tally.grpc(where, open ? "stream open" : s.getCode().name(), s.getDescription());
      }
    }
  }

  /** One message on a bidirectional stream, then the first answer or the end. */
  private static void bidi(Channel channel, MethodDescriptor<byte[], byte[]> raw, byte[] request) {
    ClientCall<byte[], byte[]> call =
        channel.newCall(
            raw, CallOptions.DEFAULT.withDeadlineAfter(STREAM_WAIT_MS, TimeUnit.MILLISECONDS));
    CompletableFuture<Void> answered = new CompletableFuture<>();
    StreamObserver<byte[]> out =
        ClientCalls.asyncBidiStreamingCall(
            call,
            new StreamObserver<>() {
              @Override
              public void onNext(byte[] value) {
                answered.complete(null);
              }

              @Override
              public void onError(Throwable t) {
                answered.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                answered.complete(null);
              }
            });
    out.onNext(request);
    out.onCompleted();
    try {
      answered.get(STREAM_WAIT_MS * 2, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw Status.fromThrowable(e.getCause()).asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.TimeoutException e) {
      call.cancel("fuzz: done waiting", null);
      throw Status.DEADLINE_EXCEEDED.withDescription("no answer").asRuntimeException();
    }
  }

  /** A request of {@code m}'s type with random fields, sometimes corrupted. */
  private byte[] request(MethodDescriptor<?, ?> m) {
    Message prototype =
        (Message)
            ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller())
                .getMessagePrototype();
    byte[] bytes = randomMessage(prototype.getDescriptorForType(), 0).toByteArray();
    if (random.nextInt(4) == 0 && bytes.length > 0) {
      bytes = bytes.clone();
      for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
        bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
      }
    }
    if (random.nextInt(8) == 0) {
      byte[] junk = new byte[random.nextInt(64)];
      random.nextBytes(junk);
      byte[] out = java.util.Arrays.copyOf(bytes, bytes.length + junk.length);
      System.arraycopy(junk, 0, out, bytes.length, junk.length);
      bytes = out;
    }
    return bytes;
  }

  private DynamicMessage randomMessage(Descriptor d, int depth) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(d);
    for (FieldDescriptor f : d.getFields()) {
      if (random.nextInt(3) == 0
          || (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth > 3)) {
        continue;
      }
      if (f.isRepeated()) {
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
          b.addRepeatedField(f, value(f, depth));
        }
      } else if (f.getRealContainingOneof() == null || !b.hasOneof(f.getRealContainingOneof())) {
        b.setField(f, value(f, depth));
      }
    }
    return b.build();
  }

  private Object value(FieldDescriptor f, int depth) {
    return switch (f.getJavaType()) {
      case INT ->
          List.of(0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, random.nextInt(40))
              .get(random.nextInt(6));
      case LONG ->
          List.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, (long) random.nextInt(40))
              .get(random.nextInt(6));
      case FLOAT -> random.nextFloat();
      case DOUBLE -> random.nextDouble();
      case BOOLEAN -> random.nextBoolean();
      case STRING -> text();
      case BYTE_STRING -> ByteString.copyFromUtf8(text());
      case ENUM ->
          f.getEnumType().getValues().get(random.nextInt(f.getEnumType().getValues().size()));
      case MESSAGE -> randomMessage(f.getMessageType(), depth + 1);
    };
  }

  private String text() {
    return switch (random.nextInt(8)) {
      case 0 -> "";
      case 1 -> "c" + random.nextInt(10);
      case 2 -> "m" + random.nextInt(4);
      case 3 -> "x".repeat(100_000);
      case 4 -> "\u0000\r\n\u202e../../etc";
      case 5 -> "127.0.0.1:" + random.nextInt(65_536);
      case 6 -> "admin";
      default -> Long.toHexString(random.nextLong());
    };
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
      };
}
