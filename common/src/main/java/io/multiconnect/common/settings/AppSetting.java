package io.multiconnect.common.settings;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The On-Premises API's application settings besides the two intervals, as the masters replicate
 * them: each by its name in the API ({@code webhooks.url}, a nested field by its path), its value
 * as text (a URL, a whole number, {@code true}/{@code false}, or a comma-separated list), and its
 * default. The one table the webapps (JSON in and out), the masters (validation) and the coreapps
 * (webhook delivery) read.
 */
public enum AppSetting {
  WEBHOOKS_URL("webhooks.url", Kind.URL, ""),
  WEBHOOKS_MAX_CONCURRENT_REQUESTS("webhooks.max_concurrent_requests", Kind.NUMBER, "6"),
  CALLBACK_BACKOFF_DELAY_MS("callback_backoff_delay_ms", Kind.NUMBER, "3000"),
  MAX_CALLBACK_BACKOFF_DELAY_MS("max_callback_backoff_delay_ms", Kind.NUMBER, "900000"),
  CALLBACK_PERSIST("callback_persist", Kind.BOOLEAN, "true"),
  SENT_STATUS("sent_status", Kind.BOOLEAN, "false"),
  PASS_THROUGH("pass_through", Kind.BOOLEAN, "false"),
  MEDIA_AUTO_DOWNLOAD("media.auto_download", Kind.LIST, "audio,document,image,sticker,video,voice"),
  NOTIFY_USER_CHANGE_NUMBER("notify_user_change_number", Kind.BOOLEAN, "true"),
  SHOW_SECURITY_NOTIFICATIONS("show_security_notifications", Kind.BOOLEAN, "false"),
  DB_GARBAGECOLLECTOR_ENABLE("db_garbagecollector_enable", Kind.BOOLEAN, "true"),
  SKIP_REFERRAL_MEDIA_DOWNLOAD("skip_referral_media_download", Kind.BOOLEAN, "false");

  /** How a value is written. */
  public enum Kind {
    URL,
    NUMBER,
    BOOLEAN,
    LIST
  }

  /** The media types {@code media.auto_download} may name. */
  public static final Set<String> MEDIA_TYPES =
      Set.of("audio", "document", "image", "sticker", "video", "voice");

  /** Webhook concurrency the API allows. */
  public static final Set<Long> CONCURRENCY = Set.of(6L, 12L, 18L, 24L);

  /** The longest backoff between webhook attempts: a day. */
  public static final long MAX_BACKOFF_MS = 86_400_000L;

  private static final Pattern URL_SHAPE = Pattern.compile("(?i)https?://[^\\s/?#]+[^\\s]*");
  private static final int MAX_URL = 2048;

  private final String apiName;
  private final Kind kind;
  private final String defaultValue;

  AppSetting(String apiName, Kind kind, String defaultValue) {
    this.apiName = apiName;
    this.kind = kind;
    this.defaultValue = defaultValue;
  }

  public String apiName() {
    return apiName;
  }

  public Kind kind() {
    return kind;
  }

  public String defaultValue() {
    return defaultValue;
  }

  /** The setting named {@code apiName} in the API. */
  public static Optional<AppSetting> named(String apiName) {
    return Arrays.stream(values()).filter(s -> s.apiName.equals(apiName)).findFirst();
  }

  /** Why {@code value} is not a value of this setting; empty when it is. */
  public Optional<String> problem(String value) {
    return switch (kind) {
      case URL ->
          value.isEmpty() || (value.length() <= MAX_URL && URL_SHAPE.matcher(value).matches())
              ? Optional.empty()
              : Optional.of("must be an http or https URL (or empty: no webhook)");
      case BOOLEAN ->
          value.equals("true") || value.equals("false")
              ? Optional.empty()
              : Optional.of("must be true or false");
      case LIST -> {
        List<String> items = list(value);
        yield MEDIA_TYPES.containsAll(items) && new LinkedHashSet<>(items).size() == items.size()
            ? Optional.empty()
            : Optional.of(
                "must be a list of "
                    + String.join(", ", new TreeSet<>(MEDIA_TYPES))
                    + ", each at most once");
      }
      case NUMBER -> numberProblem(value);
    };
  }

  private Optional<String> numberProblem(String value) {
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      return Optional.of("must be a whole number");
    }
    return switch (this) {
      case WEBHOOKS_MAX_CONCURRENT_REQUESTS ->
          CONCURRENCY.contains(n) ? Optional.empty() : Optional.of("must be 6, 12, 18 or 24");
      default ->
          n >= 0 && n <= MAX_BACKOFF_MS
              ? Optional.empty()
              : Optional.of("must be from 0 to " + MAX_BACKOFF_MS + " ms");
    };
  }

  /** The items of a {@link Kind#LIST} value. */
  public static List<String> list(String value) {
    return value.isEmpty() ? List.of() : List.of(value.split(","));
  }

  /** Every setting's value: {@code stored}'s, else the default; by API name, in table order. */
  public static Map<String, String> effective(Map<String, String> stored) {
    Map<String, String> out = new LinkedHashMap<>();
    for (AppSetting s : values()) {
      out.put(s.apiName, stored.getOrDefault(s.apiName, s.defaultValue));
    }
    return Collections.unmodifiableMap(out);
  }

  /** This setting's value among {@code effective} ones (its default when absent). */
  public String in(Map<String, String> effective) {
    return effective.getOrDefault(apiName, defaultValue);
  }
}
