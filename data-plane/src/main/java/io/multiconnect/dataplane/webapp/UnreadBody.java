package io.multiconnect.dataplane.webapp;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rest of a request's body when it is refused before its body was read to the end (too large,
 * or a medium of the wrong type). A server that closes a connection while its client is still
 * sending resets it, and the client's TCP then drops the refusal before the client has read it (RFC
 * 9112, section 9.6): the client sees a connection closed without an answer instead of the API's
 * error. So the rest is read and thrown away first when it is short enough, and the connection
 * stays usable; when it is not, the connection closes after the refusal, said so in {@code
 * Connection: close}, so the client does not send its next request on it.
 */
final class UnreadBody {
  private static final Logger LOG = LoggerFactory.getLogger(UnreadBody.class);

  /** The most of a refused body read to keep its connection usable. */
  static final long DRAINED_AT_MOST = 16L << 20;

  /** How long a refused body is read at most. */
  private static final Duration DRAIN_TIME = Duration.ofSeconds(10);

  private UnreadBody() {}

  /** {@code e} as the failure to throw, once the rest of {@code ctx}'s body is dealt with. */
  static ApiError.Failure refusal(Context ctx, ApiError e) {
    drainOrClose(ctx);
    return e.failure();
  }

  /**
   * Reads what is left of {@code ctx}'s body, or, when that is more than {@link #DRAINED_AT_MOST}
   * bytes or takes more than {@link #DRAIN_TIME}, has the connection closed after the answer.
   */
  static void drainOrClose(Context ctx) {
    if (!drained(ctx)) {
      ctx.header("Connection", "close");
    }
  }

  private static boolean drained(Context ctx) {
    if (ctx.contentLength() > DRAINED_AT_MOST) {
      return false;
    }
    long deadline = System.nanoTime() + DRAIN_TIME.toNanos();
    byte[] buffer = new byte[64 * 1024];
    long read = 0;
    try {
      InputStream in = ctx.req().getInputStream();
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        read += n;
        if (read > DRAINED_AT_MOST || System.nanoTime() - deadline > 0) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      LOG.debug("a refused body could not be read to its end: {}", e.toString());
      return false;
    }
  }
}
