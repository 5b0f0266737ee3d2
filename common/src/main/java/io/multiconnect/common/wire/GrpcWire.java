package io.multiconnect.common.wire;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.multiconnect.proto.v1.Refusal;
import java.util.Optional;

/**
 * What both sides of our gRPC calls agree on beyond the .proto files: the metadata keys, and how a
 * coreapp's refusal of a message travels as a status with trailers (docs/api.md).
 */
public final class GrpcWire {
  /** Request header with {@code Bearer <token>} or {@code Basic base64(user:password)}. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailer of a master's "not the leader" answer: the leader's API address. */
  public static final Metadata.Key<String> LEADER =
      Metadata.Key.of("multiconnect-leader", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailer of an INVALID_ARGUMENT answer: the field at fault. */
  public static final Metadata.Key<String> FIELD =
      Metadata.Key.of("multiconnect-field", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailers of a refused message that name the shard's current primary, when known. */
  public static final Metadata.Key<String> PRIMARY_ADDRESS =
      Metadata.Key.of("multiconnect-primary", Metadata.ASCII_STRING_MARSHALLER);

  public static final Metadata.Key<String> PRIMARY_EPOCH =
      Metadata.Key.of("multiconnect-primary-epoch", Metadata.ASCII_STRING_MARSHALLER);

  /** The primary a refusal names: its address and epoch. */
  public record NamedPrimary(String address, long epoch) {}

  private GrpcWire() {}

  /**
   * What SendMessage fails with for a refused message: the refusal's status and description, and
   * the trailers {@link #PRIMARY_ADDRESS} and {@link #PRIMARY_EPOCH} when it names the primary.
   * Webapps turn a refusal in a SendMessages answer into the same exception.
   */
  public static StatusRuntimeException refused(Refusal r) {
    Metadata trailers = new Metadata();
    if (!r.getPrimaryAddress().isEmpty()) {
      trailers.put(PRIMARY_ADDRESS, r.getPrimaryAddress());
      trailers.put(PRIMARY_EPOCH, Long.toString(r.getPrimaryEpoch()));
    }
    return Status.fromCodeValue(r.getCode())
        .withDescription(r.getDescription())
        .asRuntimeException(trailers);
  }

  /** The primary a refusal from {@link #refused} names, if it names one. */
  public static Optional<NamedPrimary> namedPrimary(StatusRuntimeException refusal) {
    Metadata trailers = refusal.getTrailers();
    if (trailers == null || trailers.get(PRIMARY_ADDRESS) == null) {
      return Optional.empty();
    }
    return Optional.of(
        new NamedPrimary(
            trailers.get(PRIMARY_ADDRESS), Long.parseLong(trailers.get(PRIMARY_EPOCH))));
  }
}
