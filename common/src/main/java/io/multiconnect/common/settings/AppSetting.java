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
  SKIP_REFERRAL_MEDIA_DOWNLOAD("skip_referral_media_download", Kind.BOOLEAN, "false"),
  PROFILE_ABOUT("profile.about.text", Kind.TEXT, 139),
  /** The media id of the profile photo in the media store; "" when none. */
  PROFILE_PHOTO("profile.photo.id", Kind.TEXT, 64),
  BUSINESS_ADDRESS("business.profile.address", Kind.TEXT, 256),
  BUSINESS_DESCRIPTION("business.profile.description", Kind.TEXT, 256),
  BUSINESS_EMAIL("business.profile.email", Kind.EMAIL, 128),
  BUSINESS_VERTICAL("business.profile.vertical", Kind.TEXT, 128),
  BUSINESS_WEBSITES("business.profile.websites", Kind.WEBSITES, 256);

  /** How a value is written. */
  public enum Kind {
    URL,
    NUMBER,
    BOOLEAN,
    /** Media types, comma-separated. */
    LIST,
    /** Any text up to the setting's length. */
    TEXT,
    /** An e-mail address, or "". */
    EMAIL,
    /** Up to {@link #MAX_WEBSITES} http(s) URLs, one per line. */
    WEBSITES
  }

  /** Where a setting lives in the API: which routes read and change it. */
  public enum Section {
    /** {@code /v1/settings/application}. */
    APPLICATION,
    /** {@code /v1/settings/profile/...}. */
    PROFILE,
    /** {@code /v1/settings/business/profile}. */
    BUSINESS
  }

  /** The most websites a business profile lists. */
  public static final int MAX_WEBSITES = 2;

  private static final Pattern EMAIL_SHAPE = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");

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
  private final int maxLength;

  AppSetting(String apiName, Kind kind, String defaultValue) {
    this.apiName = apiName;
    this.kind = kind;
    this.defaultValue = defaultValue;
    this.maxLength = MAX_URL;
  }

  /** A profile setting: empty by default, each line at most {@code maxLength} characters. */
  AppSetting(String apiName, Kind kind, int maxLength) {
    this.apiName = apiName;
    this.kind = kind;
    this.defaultValue = "";
    this.maxLength = maxLength;
  }

  public Section section() {
    return apiName.startsWith("profile.")
        ? Section.PROFILE
        : apiName.startsWith("business.") ? Section.BUSINESS : Section.APPLICATION;
  }

  /** The longest value (of one line, for {@link Kind#WEBSITES}). */
  public int maxLength() {
    return maxLength;
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
      case TEXT ->
          value.codePointCount(0, value.length()) <= maxLength
              ? Optional.empty()
              : Optional.of("must be at most " + maxLength + " characters");
      case EMAIL ->
          value.isEmpty() || (value.length() <= maxLength && EMAIL_SHAPE.matcher(value).matches())
              ? Optional.empty()
              : Optional.of("must be an e-mail address of at most " + maxLength + " characters");
      case WEBSITES -> {
        List<String> sites = websites(value);
        yield sites.size() <= MAX_WEBSITES
                && sites.stream()
                    .allMatch(u -> u.length() <= maxLength && URL_SHAPE.matcher(u).matches())
            ? Optional.empty()
            : Optional.of(
                "must be at most "
                    + MAX_WEBSITES
                    + " http or https URLs of at most "
                    + maxLength
                    + " characters");
      }
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

  /** The URLs of a {@link Kind#WEBSITES} value. */
  public static List<String> websites(String value) {
    return value.isEmpty() ? List.of() : List.of(value.split("\n"));
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
