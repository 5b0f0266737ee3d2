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
 *   <tr><td>1001</td><td>Message too long</td><td>400</td><td>a text message's body over 4096 characters</td></tr>
 *   <tr><td>1005</td><td>Access denied</td><td>401/403</td><td>no or bad or revoked credentials; a user who is not the admin asking for an admin's change (403); no control-plane leader for an account change (retryable)</td></tr>
 *   <tr><td>1006</td><td>Resource not found</td><td>404</td><td>unknown path; unknown user or medium</td></tr>
 *   <tr><td>1008</td><td>Required parameter is missing</td><td>400</td><td>a required field is missing</td></tr>
 *   <tr><td>1009</td><td>Parameter value is not valid</td><td>400 (413)</td><td>a field is malformed or out of range; a medium over its type's limit; a body over 1 MiB (413)</td></tr>
 *   <tr><td>1010</td><td>Parameter is not required</td><td>400</td><td>a field the request's type does not take (an {@code image} in a text message)</td></tr>
 *   <tr><td>1011</td><td>Service not ready</td><td>503</td><td>no primary for the shard yet, or no master answered (retryable)</td></tr>
 *   <tr><td>1014</td><td>Internal error</td><td>500</td><td>a bug, details in the webapp's log</td></tr>
 *   <tr><td>1014</td><td>Internal error</td><td>409</td><td>a user created twice ("Unable to create user. Already exist?", as the On-Premises API answers, but with 409 for its 500)</td></tr>
 *   <tr><td>1015</td><td>Too many requests</td><td>429</td><td>too many failed logins from one address or for one user; {@code Retry-After} says how long to wait</td></tr>
 *   <tr><td>1025</td><td>Invalid Request</td><td>400</td><td>a body that is not JSON, or a request line, path or headers the server cannot take</td></tr>
 * </table>
 */
record ApiError(int httpStatus, int code, String title, String details) {

  static final String API_VERSION = "v1";

  /** The On-Premises API's words for a missing field: "Missing mandatory parameter 'to'". */
  static ApiError absent(String field) {
    return new ApiError(
        400, 1008, "Required parameter is missing", "Missing mandatory parameter '" + field + "'");
  }

  /** "Parameter 'to' has invalid value: " and why. */
  /** A settings change that names no setting: the real API's words. */
  static ApiError noValidParameters() {
    return new ApiError(400, 1009, "Parameter value is not valid", "No valid parameters provided");
  }

  static ApiError invalid(String field, String why) {
    return new ApiError(
        400,
        1009,
        "Parameter value is not valid",
        "Parameter '" + field + "' has invalid value: " + why);
  }

  /** A field the request does not take: "Parameter 'image' is not required for type 'text'". */
  static ApiError notRequired(String field, String because) {
    return new ApiError(
        400,
        1010,
        "Parameter is not required",
        "Parameter '" + field + "' is not required for " + because);
  }

  /** A body that cannot be decoded: "Unable to decode the request: " and why. */
  static ApiError undecodable(String why) {
    return new ApiError(400, 1025, "Invalid Request", "Unable to decode the request: " + why);
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
              413,
              1009,
              "Parameter value is not valid",
              "the body is over " + maxBodyBytes + " bytes");
      case 414, 431 ->
          new ApiError(status, 1025, "Invalid Request", "the request is too large: " + message);
      default ->
          status < 500
              ? new ApiError(
                  status, 1025, "Invalid Request", "the request is malformed: " + message)
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
