package io.multiconnect.dataplane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.multiconnect.common.shard.WaIds;
import java.io.IOException;
import java.util.Optional;

/**
 * What the simulated server checks of a message that arrives: the business's request body, a JSON
 * object, of the type the coreapp declared and for the recipient it names. A message mangled on the
 * way (a payload cut short, a type or recipient changed) is refused, so a test sees it.
 */
final class Payloads {
  private Payloads() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Why {@code payload} is not a message of {@code type} to {@code to}; empty when it is. */
  static Optional<String> mismatch(String to, String type, ByteString payload) {
    JsonNode body;
    try {
      body = JSON.readTree(payload.newInput());
    } catch (IOException e) {
      return Optional.of("payload is not JSON: " + e.getMessage());
    }
    if (body == null || !body.isObject()) {
      return Optional.of("payload is not a JSON object");
    }
    String declared = body.path("type").asText("text");
    if (!declared.equals(type)) {
      return Optional.of("payload of type " + declared + " sent as " + type);
    }
    Optional<String> recipient = WaIds.normalize(body.path("to").asText(""));
    if (!recipient.equals(Optional.of(to))) {
      return Optional.of("payload addressed to " + body.path("to") + ", sent to " + to);
    }
    return Optional.empty();
  }
}
