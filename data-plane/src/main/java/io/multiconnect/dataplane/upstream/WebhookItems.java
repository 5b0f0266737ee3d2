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

  /** Which numbers the simulated network has no WhatsApp user for: those ending in 98. */
  static boolean onWhatsApp(String waId) {
    return !waId.endsWith("98");
  }

  /**
   * A status ({@code sent}, {@code delivered}, {@code read}, {@code failed}) of message {@code id}
   * to {@code recipient}, both the simulator's own (letters, digits and dots: nothing to escape).
   * Written by hand: the simulator makes three for every message it accepts.
   */
  static ByteString status(String id, String recipient, String status, long epochSeconds) {
    StringBuilder s =
        new StringBuilder(200)
            .append("{\"id\":\"")
            .append(id)
            .append("\",\"recipient_id\":\"")
            .append(recipient)
            .append("\",\"status\":\"")
            .append(status)
            .append("\",\"timestamp\":\"")
            .append(epochSeconds)
            .append("\",\"message\":{\"recipient_id\":\"")
            .append(recipient)
            .append("\"}");
    if (status.equals("failed")) {
      s.append(",\"errors\":[{\"code\":1026,\"title\":\"Receiver incapable\",\"details\":")
          .append("\"the simulated recipient cannot receive messages\"}]");
    }
    return ByteString.copyFromUtf8(s.append('}').toString());
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
