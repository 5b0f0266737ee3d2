package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.multiconnect.common.settings.AppSetting;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The application settings between the API's JSON ({@code {"webhooks":{"url":...},
 * "sent_status":true, "media":{"auto_download":[...]}}}) and the masters' text values by API name
 * ({@link AppSetting}). Every field is either a setting, taken with its type checked, or refused
 * naming it: none is dropped without a word.
 */
final class SettingsJson {
  private SettingsJson() {}

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** The two intervals, which go to the masters their own way (in seconds). */
  static final String HEARTBEAT = "heartbeat_interval";

  static final String UNHEALTHY = "unhealthy_interval";

  /**
   * The application settings {@code node} changes, by API name; the intervals are skipped (the
   * caller reads them). Fails with the API's error naming the first field that is not a setting or
   * has the wrong type.
   */
  static Map<String, String> changes(JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    collect(node, "", out);
    return out;
  }

  private static void collect(JsonNode node, String prefix, Map<String, String> out) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String name = prefix + f.getKey();
      if (prefix.isEmpty() && (name.equals(HEARTBEAT) || name.equals(UNHEALTHY))) {
        continue;
      }
      var setting = AppSetting.named(name);
      if (setting.isPresent()) {
        out.put(name, text(setting.get(), f.getValue(), name));
      } else if (f.getValue().isObject() && isGroup(name)) {
        collect(f.getValue(), name + ".", out);
      } else {
        throw ApiError.invalid(name, "not an application setting of this API (docs/api.md)")
            .failure();
      }
    }
  }

  private static boolean isGroup(String name) {
    return Arrays.stream(AppSetting.values()).anyMatch(s -> s.apiName().startsWith(name + "."));
  }

  private static String text(AppSetting s, JsonNode v, String name) {
    switch (s.kind()) {
      case URL -> {
        if (v.isTextual()) {
          return v.asText();
        }
      }
      case BOOLEAN -> {
        if (v.isBoolean()) {
          return Boolean.toString(v.asBoolean());
        }
      }
      case NUMBER -> {
        if (v.isIntegralNumber() || (v.isTextual() && v.asText().matches("\\d{1,18}"))) {
          return Long.toString(v.asLong());
        }
      }
      case LIST -> {
        if (v.isArray()) {
          StringBuilder joined = new StringBuilder();
          for (JsonNode item : v) {
            if (!item.isTextual() || item.asText().isEmpty() || item.asText().contains(",")) {
              throw ApiError.invalid(name, "must be an array of media types").failure();
            }
            joined.append(joined.isEmpty() ? "" : ",").append(item.asText());
          }
          return joined.toString();
        }
      }
    }
    throw ApiError.invalid(
            name,
            switch (s.kind()) {
              case URL -> "must be a string (a URL)";
              case BOOLEAN -> "must be true or false";
              case NUMBER -> "must be a whole number";
              case LIST -> "must be an array of media types";
            })
        .failure();
  }

  /** The application settings as the API's JSON, nested by their names, typed by their kinds. */
  static ObjectNode json(Map<String, String> effective) {
    ObjectNode root = NODES.objectNode();
    for (AppSetting s : AppSetting.values()) {
      String[] path = s.apiName().split("\\.");
      ObjectNode parent = root;
      for (int i = 0; i < path.length - 1; i++) {
        parent = parent.has(path[i]) ? (ObjectNode) parent.get(path[i]) : parent.putObject(path[i]);
      }
      String value = s.in(effective);
      String leaf = path[path.length - 1];
      switch (s.kind()) {
        case URL -> parent.put(leaf, value);
        case BOOLEAN -> parent.put(leaf, Boolean.parseBoolean(value));
        case NUMBER -> parent.put(leaf, Long.parseLong(value));
        case LIST -> AppSetting.list(value).forEach(parent.putArray(leaf)::add);
      }
    }
    return root;
  }
}
