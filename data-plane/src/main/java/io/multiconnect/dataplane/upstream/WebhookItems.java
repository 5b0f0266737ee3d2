package io.multiconnect.dataplane.upstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;

/**
 * The items of the On-Premises webhook the simulated server generates: one element of its {@code
 * statuses} or {@code messages} array, as JSON ({@code timestamp} a string of epoch seconds, as the
 * real server sends it).
 */
final class WebhookItems {
  private WebhookItems() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Which recipients the simulated network cannot deliver to: their number ends in 99. */
  static boolean undeliverable(String waId) {
    return waId.endsWith("99");
  }

  /**
   * A status ({@code sent}, {@code delivered}, {@code read}, {@code failed}) of message {@code id}.
   */
  static ByteString status(String id, String recipient, String status, long epochSeconds) {
    ObjectNode s =
        JSON.createObjectNode()
            .put("id", id)
            .put("recipient_id", recipient)
            .put("status", status)
            .put("timestamp", Long.toString(epochSeconds));
    s.putObject("message").put("recipient_id", recipient);
    if (status.equals("failed")) {
      s.putArray("errors")
          .addObject()
          .put("code", 1026)
          .put("title", "Receiver incapable")
          .put("details", "the simulated recipient " + recipient + " cannot receive messages");
    }
    return bytes(s);
  }

  /** An inbound text message {@code id} from {@code from}. */
  static ByteString text(String id, String from, String body, long epochSeconds) {
    ObjectNode m =
        JSON.createObjectNode()
            .put("from", from)
            .put("id", id)
            .put("timestamp", Long.toString(epochSeconds))
            .put("type", "text");
    m.putObject("text").put("body", body);
    return bytes(m);
  }

  private static ByteString bytes(ObjectNode n) {
    try {
      return ByteString.copyFrom(JSON.writeValueAsBytes(n));
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException(impossible);
    }
  }
}
