package io.multiconnect.client;

import io.grpc.Status;

/**
 * An admin call that did not succeed, with what the caller needs next: which kind of failure, the
 * field at fault for bad input, and the exit code the CLI uses.
 */
public final class AdminException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Kind {
    /** The request was refused; fix the named field. Exit code 1. */
    INVALID_ARGUMENT(1),
    /** No master answered as leader within the attempts allowed. Exit code 3. */
    NO_LEADER(3),
    /** Anything else the masters answered (outcome may be unknown). Exit code 4. */
    FAILED(4),
    /** Missing or wrong credentials. Exit code 5. */
    UNAUTHENTICATED(5);

    public final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }
  }

  private final Kind kind;
  private final String field;
  private final Status.Code code;

  public AdminException(Kind kind, String field, Status.Code code, String message) {
    super(message);
    this.kind = kind;
    this.field = field;
    this.code = code;
  }

  /** The gRPC status the masters answered with (UNAVAILABLE when none answered). */
  public Status.Code code() {
    return code;
  }

  public Kind kind() {
    return kind;
  }

  /** The request field at fault (INVALID_ARGUMENT), or empty. */
  public String field() {
    return field;
  }
}
