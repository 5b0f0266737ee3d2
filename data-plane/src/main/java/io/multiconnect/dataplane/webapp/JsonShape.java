package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * What a JSON value of a request must look like, checked with the API's errors: a missing required
 * field is {@link ApiError#absent}, anything else wrong {@link ApiError#invalid}, both naming the
 * field by its path ({@code template.components[0].parameters[1].text}). Fields a shape does not
 * name are let through unchanged.
 */
interface JsonShape {
  /** Fails with the API's error when {@code n}, found at {@code path}, is not of this shape. */
  void check(JsonNode n, String path);

  /** A string of {@code min}-{@code max} characters (code points). */
  static JsonShape text(int min, int max) {
    return (n, path) -> {
      if (!n.isTextual()) {
        throw ApiError.invalid(path, "must be a string").failure();
      }
      int length = n.asText().codePointCount(0, n.asText().length());
      if (length < min || length > max) {
        throw ApiError.invalid(
                path,
                min == max
                    ? "must be " + min + " characters"
                    : "must be " + min + "-" + max + " characters, got " + length)
            .failure();
      }
    };
  }

  /** One of {@code values}. */
  static JsonShape oneOf(String... values) {
    Set<String> allowed = Set.of(values);
    return (n, path) -> {
      if (!n.isTextual() || !allowed.contains(n.asText())) {
        throw ApiError.invalid(path, "must be one of " + String.join(", ", values)).failure();
      }
    };
  }

  /** {@code true} or {@code false}. */
  static JsonShape bool() {
    return (n, path) -> {
      if (!n.isBoolean()) {
        throw ApiError.invalid(path, "must be true or false").failure();
      }
    };
  }

  /** A number from {@code min} to {@code max}. */
  static JsonShape number(double min, double max) {
    return (n, path) -> {
      if (!n.isNumber() || n.asDouble() < min || n.asDouble() > max) {
        throw ApiError.invalid(path, "must be a number from " + min + " to " + max).failure();
      }
    };
  }

  /** A whole number from {@code min} to {@code max}, as a number or a string of digits. */
  static JsonShape wholeNumber(long min, long max) {
    return (n, path) -> {
      boolean whole = n.isIntegralNumber() || (n.isTextual() && n.asText().matches("-?\\d{1,18}"));
      if (!whole || n.asLong() < min || n.asLong() > max) {
        throw ApiError.invalid(path, "must be a whole number from " + min + " to " + max).failure();
      }
    };
  }

  /** An array of {@code min}-{@code max} elements, each of shape {@code element}. */
  static JsonShape array(JsonShape element, int min, int max) {
    return (n, path) -> {
      if (!n.isArray()) {
        throw ApiError.invalid(path, "must be an array").failure();
      }
      if (n.size() < min || n.size() > max) {
        throw ApiError.invalid(path, "must have " + min + "-" + max + " elements").failure();
      }
      for (int i = 0; i < n.size(); i++) {
        element.check(n.get(i), path + "[" + i + "]");
      }
    };
  }

  /** An object; give its fields with {@link Obj#required} and {@link Obj#optional}. */
  static Obj object() {
    return new Obj();
  }

  /** An object's fields, and checks across them; built once, then only read. */
  final class Obj implements JsonShape {
    private record Field(JsonShape shape, boolean required) {}

    private final Map<String, Field> fields = new LinkedHashMap<>();
    private final List<BiConsumer<JsonNode, String>> rules = new ArrayList<>();

    private Obj() {}

    Obj required(String name, JsonShape shape) {
      fields.put(name, new Field(shape, true));
      return this;
    }

    Obj optional(String name, JsonShape shape) {
      fields.put(name, new Field(shape, false));
      return this;
    }

    /**
     * A check across the object's fields, after theirs: {@code rule} fails with the API's error.
     */
    Obj rule(BiConsumer<JsonNode, String> rule) {
      rules.add(rule);
      return this;
    }

    @Override
    public void check(JsonNode n, String path) {
      if (!n.isObject()) {
        throw ApiError.invalid(path, "must be an object").failure();
      }
      String prefix = path.isEmpty() ? "" : path + ".";
      fields.forEach(
          (name, field) -> {
            JsonNode value = n.get(name);
            if (value == null || value.isNull()) {
              if (field.required()) {
                throw ApiError.absent(prefix + name).failure();
              }
            } else {
              field.shape().check(value, prefix + name);
            }
          });
      rules.forEach(r -> r.accept(n, path));
    }
  }
}
