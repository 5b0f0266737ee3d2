package io.multiconnect.dataplane.webapp;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An error as the On-Premises API returns it: HTTP status plus {@code {"errors":[{"code", "title",
 * "details"}], "meta":{"api_status", "version"}}}. The one table of codes used here:
 *
 * <table>
 *   <tr><th>code</th><th>title</th><th>HTTP</th><th>when</th></tr>
 *   <tr><td>1005</td><td>Access denied</td><td>401/403</td><td>no or bad or revoked credentials; a user who is not the admin asking for an admin's change (403); no control-plane leader for an account change (retryable)</td></tr>
 *   <tr><td>1006</td><td>Resource not found</td><td>404</td><td>unknown path; unknown user</td></tr>
 *   <tr><td>1011</td><td>Service not ready</td><td>503</td><td>no primary for the shard yet, or no master answered (retryable)</td></tr>
 *   <tr><td>1014</td><td>Internal error</td><td>500</td><td>a bug, details in the webapp's log</td></tr>
 *   <tr><td>1014</td><td>Internal error</td><td>409</td><td>a user created twice ("Unable to create user. Already exist?", as the On-Premises API answers, but with 409 for its 500)</td></tr>
 *   <tr><td>1015</td><td>Request too large</td><td>413</td><td>body over 1 MiB</td></tr>
 *   <tr><td>1015</td><td>Too many requests</td><td>429</td><td>too many failed logins from one address or for one user; {@code Retry-After} says how long to wait</td></tr>
 *   <tr><td>2000</td><td>Parameter absent</td><td>400</td><td>a required field is missing</td></tr>
 *   <tr><td>2001</td><td>Parameter value is not valid</td><td>400</td><td>a field is malformed or out of range</td></tr>
 * </table>
 */
record ApiError(int httpStatus, int code, String title, String details) {

  static final String API_VERSION = "v1";

  static ApiError absent(String field) {
    return new ApiError(400, 2000, "Parameter absent", field + " is required");
  }

  static ApiError invalid(String field, String why) {
    return new ApiError(400, 2001, "Parameter value is not valid", field + ": " + why);
  }

  static ApiError unauthorized(String details) {
    return new ApiError(401, 1005, "Access denied", details);
  }

  static ApiError forbidden(String details) {
    return new ApiError(403, 1005, "Access denied", details);
  }

  static ApiError notFound(String details) {
    return new ApiError(404, 1006, "Resource not found", details);
  }

  static ApiError notReady(String details) {
    return new ApiError(503, 1011, "Service not ready", details);
  }

  /** {@code details} say "retry in N s": the {@code Retry-After} header repeats it. */
  static ApiError tooMany(String details) {
    return new ApiError(429, 1015, "Too many requests", details);
  }

  /**
   * A refusal by the HTTP layer (Javalin's router, or Jetty before any route: a malformed request
   * line, an ambiguous or undecodable path, headers or a URI too large) as our error.
   */
  static ApiError ofHttpStatus(int status, String message, long maxBodyBytes) {
    return switch (status) {
      case 404, 405 -> new ApiError(status, 1006, "Resource not found", message);
      case 413 ->
          new ApiError(
              413, 1015, "Request too large", "the body is over " + maxBodyBytes + " bytes");
      case 414, 431 -> new ApiError(status, 1015, "Request too large", message);
      default ->
          status < 500
              ? new ApiError(
                  status,
                  2001,
                  "Parameter value is not valid",
                  "the request is malformed: " + message)
              : new ApiError(status, 1014, "Internal error", message);
    };
  }

  private static final Pattern RETRY_IN = Pattern.compile("retry in (\\d+) s");

  /** Seconds to wait before retrying, when the details say. */
  Optional<String> retryAfterSeconds() {
    Matcher m = RETRY_IN.matcher(details);
    return httpStatus == 429 && m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  Map<String, Object> body() {
    return Map.of(
        "errors", List.of(Map.of("code", code, "title", title, "details", details)),
        "meta", Map.of("api_status", "stable", "version", API_VERSION));
  }

  /** Thrown by handlers; turned into the error body in one place. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient ApiError error;

    Failure(ApiError error) {
      super(error.details(), null, false, false);
      this.error = error;
    }
  }

  Failure failure() {
    return new Failure(this);
  }
}
