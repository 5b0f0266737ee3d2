package io.multiconnect.dataplane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;

/**
 * A text message's {@code POST /v1/messages} body, as the benchmarks and the tools that call a
 * coreapp or the upstream directly send it: {@code {"to":TO,"type":"text","text":{"body":BODY}}}.
 */
public final class TextMessage {
  private TextMessage() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The message type a text message's payload has. */
  public static final String TYPE = "text";

  public static ByteString payload(String to, String body) {
    ObjectNode m = JSON.createObjectNode().put("to", to).put("type", TYPE);
    m.putObject("text").put("body", body);
    try {
      return ByteString.copyFrom(JSON.writeValueAsBytes(m));
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException(impossible);
    }
  }
}
