package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.multiconnect.common.settings.AppSetting;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

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
    return changes(node, AppSetting.Section.APPLICATION, "");
  }

  /**
   * The settings of {@code section} {@code node} changes, its fields named below {@code prefix}
   * ({@code business.profile.} for {@code {"address": ...}}), by API name.
   */
  static Map<String, String> changes(JsonNode node, AppSetting.Section section, String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    collect(node, section, prefix, prefix, out);
    return out;
  }

  private static void collect(
      JsonNode node,
      AppSetting.Section section,
      String root,
      String prefix,
      Map<String, String> out) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String name = prefix + f.getKey();
      String field = name.substring(root.length());
      if (prefix.isEmpty() && (name.equals(HEARTBEAT) || name.equals(UNHEALTHY))) {
        continue;
      }
      var setting = AppSetting.named(name).filter(s -> s.section() == section);
      if (setting.isPresent()) {
        out.put(name, text(setting.get(), f.getValue(), field));
      } else if (f.getValue().isObject() && isGroup(name, section)) {
        collect(f.getValue(), section, root, name + ".", out);
      } else {
        throw ApiError.invalid(field, "not a setting of this route (docs/api.md)").failure();
      }
    }
  }

  private static boolean isGroup(String name, AppSetting.Section section) {
    return Arrays.stream(AppSetting.values())
        .anyMatch(s -> s.section() == section && s.apiName().startsWith(name + "."));
  }

  /** The value of {@code s} that JSON value {@code v} of field {@code field} gives, as text. */
  private static String text(AppSetting s, JsonNode v, String field) {
    Optional<String> text =
        switch (s.kind()) {
          case URL, TEXT, EMAIL -> v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
          case BOOLEAN ->
              v.isBoolean() ? Optional.of(Boolean.toString(v.asBoolean())) : Optional.empty();
          case NUMBER ->
              v.isIntegralNumber() || (v.isTextual() && v.asText().matches("\\d{1,18}"))
                  ? Optional.of(Long.toString(v.asLong()))
                  : Optional.empty();
          case LIST -> joined(v, ",");
          case WEBSITES -> joined(v, "\n");
        };
    return text.orElseThrow(
        () ->
            ApiError.invalid(
                    field,
                    switch (s.kind()) {
                      case URL -> "must be a string (a URL)";
                      case TEXT, EMAIL -> "must be a string";
                      case BOOLEAN -> "must be true or false";
                      case NUMBER -> "must be a whole number";
                      case LIST -> "must be an array of media types";
                      case WEBSITES -> "must be an array of URLs";
                    })
                .failure());
  }

  /** The strings of array {@code v} joined by {@code separator}; empty unless it is one. */
  private static Optional<String> joined(JsonNode v, String separator) {
    if (!v.isArray()) {
      return Optional.empty();
    }
    StringBuilder joined = new StringBuilder();
    for (JsonNode item : v) {
      if (!item.isTextual() || item.asText().isEmpty() || item.asText().contains(separator)) {
        return Optional.empty();
      }
      joined.append(joined.isEmpty() ? "" : separator).append(item.asText());
    }
    return Optional.of(joined.toString());
  }

  /** The settings of {@code section} as the API's JSON, nested by their names, typed by kind. */
  static ObjectNode json(Map<String, String> effective, AppSetting.Section section) {
    ObjectNode root = NODES.objectNode();
    for (AppSetting s : AppSetting.values()) {
      if (s.section() != section) {
        continue;
      }
      String[] path = s.apiName().split("\\.");
      ObjectNode parent = root;
      for (int i = 0; i < path.length - 1; i++) {
        parent = parent.has(path[i]) ? (ObjectNode) parent.get(path[i]) : parent.putObject(path[i]);
      }
      String value = s.in(effective);
      String leaf = path[path.length - 1];
      switch (s.kind()) {
        case URL, TEXT, EMAIL -> parent.put(leaf, value);
        case BOOLEAN -> parent.put(leaf, Boolean.parseBoolean(value));
        case NUMBER -> parent.put(leaf, Long.parseLong(value));
        case LIST -> AppSetting.list(value).forEach(parent.putArray(leaf)::add);
        case WEBSITES -> AppSetting.websites(value).forEach(parent.putArray(leaf)::add);
      }
    }
    return root;
  }
}
