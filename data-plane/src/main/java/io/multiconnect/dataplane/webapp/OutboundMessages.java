package io.multiconnect.dataplane.webapp;

import static io.multiconnect.dataplane.webapp.JsonShape.array;
import static io.multiconnect.dataplane.webapp.JsonShape.bool;
import static io.multiconnect.dataplane.webapp.JsonShape.number;
import static io.multiconnect.dataplane.webapp.JsonShape.object;
import static io.multiconnect.dataplane.webapp.JsonShape.oneOf;
import static io.multiconnect.dataplane.webapp.JsonShape.text;
import static io.multiconnect.dataplane.webapp.JsonShape.wholeNumber;

import com.fasterxml.jackson.databind.JsonNode;
import io.multiconnect.common.shard.WaIds;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The body of {@code POST /v1/messages}, checked type by type as the On-Premises API checks it
 * (docs/api.md has the table): every message type, its required fields, lengths and counts, media
 * by an id of the cluster's media store or by a link. A checked body goes on to the shard's primary
 * and the upstream as the client sent it; fields no shape here names pass through unchanged.
 */
final class OutboundMessages {
  private final Map<String, JsonShape> shapes;

  /** Messages whose media ids must name a medium {@code mediaExists} knows. */
  OutboundMessages(Predicate<String> mediaExists) {
    this.shapes = shapes(mediaExists);
  }

  /** A checked message: the recipient's digits (what routing hashes), its type and the body. */
  record Outbound(String to, String type, byte[] payload) {}

  static final int MAX_TEXT_BODY = 4096;
  static final int MAX_CAPTION = 1024;
  static final int MAX_LINK = 2048;
  static final int MAX_NAME = 512;
  static final int MAX_BUTTONS = 3;
  static final int MAX_BUTTON_TITLE = 20;
  static final int MAX_BUTTON_ID = 256;
  static final int MAX_LIST_SECTIONS = 10;
  static final int MAX_LIST_ROWS = 10;
  static final int MAX_ROW_TITLE = 24;
  static final int MAX_ROW_DESCRIPTION = 72;
  static final int MAX_ROW_ID = 200;
  static final int MAX_INTERACTIVE_BODY = 1024;
  static final int MAX_INTERACTIVE_TEXT = 60;
  static final int MAX_PARAMETERS = 100;
  static final int MAX_CONTACTS = 100;
  static final long MAX_AMOUNT = 1_000_000_000_000_000L;
  static final long MAX_EPOCH = 253_402_300_799L; // 9999-12-31T23:59:59Z

  /** Checks {@code body}, parsed from {@code raw}: the message to send, or the API's error. */
  Outbound check(JsonNode body, byte[] raw) {
    String type =
        body.hasNonNull("type") ? WebappServer.requiredText(body, "type", "type") : "text";
    JsonShape shape = shapes.get(type);
    if (shape == null) {
      throw ApiError.invalid("type", "must be one of " + String.join(", ", TYPES)).failure();
    }
    for (String other : TYPES) {
      if (!other.equals(type) && body.hasNonNull(other)) {
        throw ApiError.notRequired(other, "type '" + type + "'").failure();
      }
    }
    ENVELOPE.check(body, "");
    String to =
        WaIds.normalize(WebappServer.requiredText(body, "to", "to"))
            .orElseThrow(
                () ->
                    ApiError.invalid(
                            "to",
                            "must be a WhatsApp id or a phone number with its country code: "
                                + WaIds.MIN_DIGITS
                                + "-"
                                + WaIds.MAX_DIGITS
                                + " digits, optionally with +, spaces, dashes, dots or"
                                + " parentheses")
                        .failure());
    JsonNode content = body.get(type);
    if (content == null || content.isNull()) {
      throw ApiError.absent(type).failure();
    }
    shape.check(content, type);
    return new Outbound(to, type, raw);
  }

  static final String[] TYPES = {
    "text",
    "template",
    "hsm",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "reaction"
  };

  /** What every message has besides its content. */
  private static final JsonShape ENVELOPE =
      object()
          .required("to", text(1, 64))
          .optional("recipient_type", oneOf("individual"))
          .optional("preview_url", bool())
          .optional("context", object().required("message_id", text(1, 256)));

  private static Map<String, JsonShape> shapes(Predicate<String> mediaExists) {
    JsonShape language =
        object()
            .optional("policy", oneOf("deterministic", "fallback"))
            .required("code", text(2, 10));
    JsonShape amount = wholeNumber(-MAX_AMOUNT, MAX_AMOUNT);
    JsonShape currency =
        object()
            .required("fallback_value", text(1, 256))
            .required("code", text(3, 3))
            .required("amount_1000", amount);
    JsonShape dateTime = object().required("fallback_value", text(1, 256));
    JsonShape captioned = media(mediaExists).optional("caption", text(0, MAX_CAPTION));
    JsonShape parameter =
        object()
            .required(
                "type",
                oneOf("text", "currency", "date_time", "image", "document", "video", "payload"))
            .optional("text", text(0, MAX_TEXT_BODY))
            .optional("payload", text(1, 256))
            .optional("currency", currency)
            .optional("date_time", dateTime)
            .optional("image", media(mediaExists))
            .optional("document", media(mediaExists).optional("filename", text(1, 240)))
            .optional("video", media(mediaExists))
            .rule(OutboundMessages::parameterHasItsValue);
    JsonShape component =
        object()
            .required("type", oneOf("header", "body", "button"))
            .optional("sub_type", oneOf("quick_reply", "url"))
            .optional("index", wholeNumber(0, 9))
            .optional("parameters", array(parameter, 0, MAX_PARAMETERS))
            .rule(OutboundMessages::buttonHasSubTypeAndIndex);
    JsonShape interactiveText = object().required("text", text(1, MAX_INTERACTIVE_TEXT));
    JsonShape reply =
        object()
            .required("type", oneOf("reply"))
            .required(
                "reply",
                object()
                    .required("id", text(1, MAX_BUTTON_ID))
                    .required("title", text(1, MAX_BUTTON_TITLE)));
    JsonShape row =
        object()
            .required("id", text(1, MAX_ROW_ID))
            .required("title", text(1, MAX_ROW_TITLE))
            .optional("description", text(0, MAX_ROW_DESCRIPTION));
    JsonShape section =
        object()
            .optional("title", text(1, MAX_ROW_TITLE))
            .required("rows", array(row, 1, MAX_LIST_ROWS));
    return Map.ofEntries(
        Map.entry(
            "text",
            object()
                .required("body", text(1, Integer.MAX_VALUE))
                .rule(
                    (n, path) -> {
                      String body = n.get("body").asText();
                      if (body.codePointCount(0, body.length()) > MAX_TEXT_BODY) {
                        throw new ApiError(
                                400,
                                1001,
                                "Message too long",
                                "Length of the message exceeds " + MAX_TEXT_BODY + " characters")
                            .failure();
                      }
                    })),
        Map.entry(
            "template",
            object()
                .required("namespace", text(1, 256))
                .required("name", text(1, 512))
                .required("language", language)
                .optional("components", array(component, 0, 10))),
        Map.entry(
            "hsm",
            object()
                .required("namespace", text(1, 256))
                .required("element_name", text(1, 512))
                .required("language", language)
                .optional(
                    "localizable_params",
                    array(
                        object()
                            .optional("default", text(0, MAX_TEXT_BODY))
                            .optional(
                                "currency",
                                object()
                                    .required("currency_code", text(3, 3))
                                    .required("amount_1000", amount))
                            .optional(
                                "date_time",
                                object()
                                    .optional("component", object())
                                    .optional(
                                        "unix_epoch",
                                        object().required("timestamp", wholeNumber(0, MAX_EPOCH))))
                            .rule(OutboundMessages::localizableHasItsValue),
                        0,
                        MAX_PARAMETERS))),
        Map.entry("image", captioned),
        Map.entry("video", captioned),
        Map.entry("audio", media(mediaExists)),
        Map.entry("sticker", media(mediaExists)),
        Map.entry(
            "document",
            media(mediaExists)
                .optional("caption", text(0, MAX_CAPTION))
                .optional("filename", text(1, 240))),
        Map.entry(
            "location",
            object()
                .required("latitude", number(-90, 90))
                .required("longitude", number(-180, 180))
                .optional("name", text(0, 1000))
                .optional("address", text(0, 1000))),
        Map.entry("contacts", array(contact(), 1, MAX_CONTACTS)),
        Map.entry(
            "interactive",
            object()
                .required("type", oneOf("button", "list", "product", "product_list"))
                .optional(
                    "header",
                    object()
                        .required("type", oneOf("text", "image", "video", "document"))
                        .optional("text", text(1, MAX_INTERACTIVE_TEXT))
                        .optional("image", media(mediaExists))
                        .optional("video", media(mediaExists))
                        .optional("document", media(mediaExists).optional("filename", text(1, 240)))
                        .rule(OutboundMessages::headerHasItsValue))
                .optional("body", object().required("text", text(1, MAX_INTERACTIVE_BODY)))
                .optional("footer", interactiveText)
                .required(
                    "action",
                    object()
                        .optional("buttons", array(reply, 1, MAX_BUTTONS))
                        .optional("button", text(1, MAX_BUTTON_TITLE))
                        .optional("sections", array(section, 1, MAX_LIST_SECTIONS))
                        .optional("catalog_id", text(1, 256))
                        .optional("product_retailer_id", text(1, 256)))
                .rule(OutboundMessages::actionFitsItsType)),
        Map.entry(
            "reaction",
            object().required("message_id", text(1, 256)).required("emoji", text(0, 10))));
  }

  /** A medium: an {@code id} of the store or a {@code link}, exactly one of them. */
  private static JsonShape.Obj media(Predicate<String> mediaExists) {
    return object()
        .optional("id", text(1, 128))
        .optional("link", text(1, MAX_LINK))
        .optional("provider", object().required("name", text(1, 256)))
        .rule(
            (n, path) -> {
              boolean id = n.hasNonNull("id");
              if (id == n.hasNonNull("link")) {
                throw (id
                        ? ApiError.invalid(path, "give id or link, not both")
                        : ApiError.absent(path + ".id or " + path + ".link"))
                    .failure();
              }
              if (id && !mediaExists.test(n.get("id").asText())) {
                throw ApiError.invalid(
                        path + ".id", "no medium with this id (POST /v1/media first)")
                    .failure();
              }
              if (!id && !n.get("link").asText().matches("(?i)https?://\\S+")) {
                throw ApiError.invalid(path + ".link", "must be an http or https URL").failure();
              }
            });
  }

  private static JsonShape contact() {
    JsonShape typed = object().optional("type", text(1, 32));
    return object()
        .required(
            "name",
            object()
                .required("formatted_name", text(1, MAX_NAME))
                .optional("first_name", text(0, MAX_NAME))
                .optional("last_name", text(0, MAX_NAME))
                .optional("middle_name", text(0, MAX_NAME))
                .optional("suffix", text(0, MAX_NAME))
                .optional("prefix", text(0, MAX_NAME)))
        .optional("birthday", text(10, 10))
        .optional(
            "phones",
            array(
                object()
                    .optional("phone", text(1, 64))
                    .optional("wa_id", text(1, 64))
                    .optional("type", text(1, 32)),
                0,
                20))
        .optional(
            "emails",
            array(object().optional("email", text(1, 320)).optional("type", text(1, 32)), 0, 20))
        .optional(
            "urls",
            array(object().optional("url", text(1, MAX_LINK)).optional("type", text(1, 32)), 0, 20))
        .optional("addresses", array(typed, 0, 20))
        .optional("org", object().optional("company", text(0, MAX_NAME)));
  }

  private static void parameterHasItsValue(JsonNode n, String path) {
    String type = n.get("type").asText();
    if (!n.hasNonNull(type)) {
      throw ApiError.absent(path + "." + type).failure();
    }
  }

  private static void localizableHasItsValue(JsonNode n, String path) {
    if (!n.hasNonNull("default")) {
      throw ApiError.absent(path + ".default").failure();
    }
  }

  private static void buttonHasSubTypeAndIndex(JsonNode n, String path) {
    if (n.get("type").asText().equals("button")) {
      for (String field : new String[] {"sub_type", "index"}) {
        if (!n.hasNonNull(field)) {
          throw ApiError.absent(path + "." + field).failure();
        }
      }
    }
  }

  private static void headerHasItsValue(JsonNode n, String path) {
    String type = n.get("type").asText();
    if (!n.hasNonNull(type)) {
      throw ApiError.absent(path + "." + type).failure();
    }
  }

  /** Buttons need up to 3 replies; a list a button text and sections of 10 rows in all. */
  private static void actionFitsItsType(JsonNode n, String path) {
    JsonNode action = n.get("action");
    String type = n.get("type").asText();
    if (!type.startsWith("product") && !n.hasNonNull("body")) {
      throw ApiError.absent(path + ".body").failure();
    }
    switch (type) {
      case "button" -> {
        if (!action.hasNonNull("buttons")) {
          throw ApiError.absent(path + ".action.buttons").failure();
        }
      }
      case "list" -> {
        for (String field : new String[] {"button", "sections"}) {
          if (!action.hasNonNull(field)) {
            throw ApiError.absent(path + ".action." + field).failure();
          }
        }
        int rows = 0;
        for (JsonNode s : action.get("sections")) {
          rows += s.get("rows").size();
        }
        if (rows > MAX_LIST_ROWS) {
          throw ApiError.invalid(
                  path + ".action.sections", "at most " + MAX_LIST_ROWS + " rows in all")
              .failure();
        }
        if (action.get("sections").size() > 1) {
          for (int i = 0; i < action.get("sections").size(); i++) {
            if (!action.get("sections").get(i).hasNonNull("title")) {
              throw ApiError.absent(path + ".action.sections[" + i + "].title").failure();
            }
          }
        }
      }
      default -> {
        if (!action.hasNonNull("catalog_id")) {
          throw ApiError.absent(path + ".action.catalog_id").failure();
        }
      }
    }
  }
}
