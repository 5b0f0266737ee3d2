package io.multiconnect.dataplane.webapp;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.multiconnect.dataplane.media.MediaStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/media} (the raw bytes, their type in {@code Content-Type}), {@code GET} and
 * {@code DELETE /v1/media/{id}}, on the cluster's {@link MediaStore}: a medium uploaded through one
 * webapp is read through any other. An upload is streamed to the store, never held in memory whole,
 * and refused beyond the limit of its type (the On-Premises API's, docs/api.md).
 */
final class MediaRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(MediaRoutes.class);

  /** The upload route, whose body is the medium: read here, not by the JSON routes' reader. */
  static final String UPLOAD = "/v1/media";

  static final long KIB = 1024;
  static final long MIB = 1024 * KIB;

  /** A content type: {@code type/subtype}, parameters allowed ({@code audio/ogg; codecs=opus}). */
  private static final Pattern CONTENT_TYPE =
      Pattern.compile(
          "[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(;.{0,200})?");

  /** The largest medium of each kind; any other type is a document. */
  static long limitOf(String contentType) {
    String base = contentType.split(";", 2)[0].trim();
    return switch (base) {
      case "image/jpeg", "image/png" -> 5 * MIB;
      case "image/webp" -> 500 * KIB; // stickers: 100 KB still, 500 KB animated
      case "audio/aac", "audio/mp4", "audio/amr", "audio/mpeg", "audio/ogg" -> 16 * MIB;
      case "video/mp4", "video/3gpp" -> 16 * MIB;
      default -> 100 * MIB;
    };
  }

  private final MediaStore store;
  private final Predicate<String> adminsOnly;

  /**
   * Routes on {@code store}; a medium {@code adminsOnly} names (the profile photo) is deleted by
   * the admin alone.
   */
  MediaRoutes(MediaStore store, Predicate<String> adminsOnly) {
    this.store = store;
    this.adminsOnly = adminsOnly;
  }

  void register(RoutesConfig routes) {
    routes.post(UPLOAD, this::upload);
    routes.get("/v1/media/{id}", this::download);
    routes.delete("/v1/media/{id}", this::delete);
  }

  private void upload(Context ctx) throws IOException {
    String id = store(ctx, type -> Optional.empty());
    ctx.status(201).json(Map.of("media", List.of(Map.of("id", id)), "meta", WebappServer.meta()));
  }

  /**
   * Stores the body of {@code ctx} as a medium of its {@code Content-Type}, streamed, within the
   * limit of that type; its id. Refused with the API's errors: no type, a malformed one or one
   * {@code typeProblem} objects to (why), an empty body, a body over the limit.
   */
  String store(Context ctx, Function<String, Optional<String>> typeProblem) throws IOException {
    String type = Optional.ofNullable(ctx.contentType()).orElse("").trim().toLowerCase(Locale.ROOT);
    if (type.isEmpty()) {
      throw UnreadBody.refusal(ctx, ApiError.absent("Content-Type"));
    }
    if (!CONTENT_TYPE.matcher(type).matches() || type.startsWith("multipart/")) {
      throw UnreadBody.refusal(
          ctx, ApiError.invalid("Content-Type", "must be the medium's type, e.g. image/jpeg"));
    }
    Optional<String> problem = typeProblem.apply(type);
    if (problem.isPresent()) {
      throw UnreadBody.refusal(ctx, ApiError.invalid("Content-Type", problem.get()));
    }
    long limit = limitOf(type);
    long declared = ctx.contentLength();
    if (declared > limit) {
      throw UnreadBody.refusal(ctx, tooLarge(type, limit));
    }
    String id;
    try (InputStream in = ctx.bodyInputStream()) {
      id = store.put(in, type, limit);
    } catch (MediaStore.TooLarge e) {
      throw UnreadBody.refusal(ctx, tooLarge(type, limit));
    } catch (MediaStore.Empty e) {
      throw ApiError.absent("body").failure();
    }
    LOG.debug("stored medium {} ({})", id, type);
    return id;
  }

  /** As the On-Premises API refuses an upload over its size: 400, 1009. */
  private static ApiError tooLarge(String type, long limit) {
    return ApiError.invalid(
        "body",
        "a medium of type "
            + type
            + " is at most "
            + limit
            + " bytes ("
            + (limit >= MIB ? limit / MIB + " MB" : limit / KIB + " KB")
            + ")");
  }

  private void download(Context ctx) throws IOException {
    MediaStore.Medium m =
        store
            .get(ctx.pathParam("id"))
            .orElseThrow(() -> ApiError.notFound("no medium " + ctx.pathParam("id")).failure());
    ctx.contentType(m.contentType());
    ctx.header("Content-Length", Long.toString(m.size()));
    ctx.result(Files.newInputStream(m.file()));
  }

  private void delete(Context ctx) throws IOException {
    if (adminsOnly.test(ctx.pathParam("id"))) {
      Auth.requireAdmin(ctx, "delete the profile photo");
    }
    if (!store.delete(ctx.pathParam("id"))) {
      throw ApiError.notFound("no medium " + ctx.pathParam("id")).failure();
    }
    ctx.json(Map.of("meta", WebappServer.meta()));
  }
}
