package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.multiconnect.client.AdminClient;
import io.multiconnect.common.settings.AppSetting;
import io.multiconnect.dataplane.media.MediaStore;
import io.multiconnect.proto.v1.ClusterSettings;
import io.multiconnect.proto.v1.UpdateApplicationSettingsRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The business's profile as its customers see it: {@code /v1/settings/profile/about} (the "about"
 * text), {@code /v1/settings/profile/photo} (an image in the media store) and {@code
 * /v1/settings/business/profile} (address, description, e-mail, vertical, websites). Replicated by
 * the masters as settings ({@link AppSetting.Section#PROFILE}, {@link
 * AppSetting.Section#BUSINESS}), so every webapp answers the same; read by any user, changed by the
 * admin.
 */
final class ProfileRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(ProfileRoutes.class);

  static final String ABOUT = "/v1/settings/profile/about";

  /** The photo route, whose POST body is the image: read here, not by the JSON routes' reader. */
  static final String PHOTO = "/v1/settings/profile/photo";

  static final String BUSINESS = "/v1/settings/business/profile";

  private final MediaRoutes media;
  private final MediaStore store;
  private final Function<Context, AdminClient> asCaller;
  private final Supplier<ClusterSettings> settings;

  /**
   * Routes storing photos with {@code media} in {@code store}, changing settings as the REST caller
   * ({@code asCaller}) and reading them from a master ({@code settings}).
   */
  ProfileRoutes(
      MediaRoutes media,
      MediaStore store,
      Function<Context, AdminClient> asCaller,
      Supplier<ClusterSettings> settings) {
    this.media = media;
    this.store = store;
    this.asCaller = asCaller;
    this.settings = settings;
  }

  void register(RoutesConfig r) {
    r.get(ABOUT, ctx -> ctx.json(settingsBody(about(current()))));
    r.patch(ABOUT, this::patchAbout);
    r.get(BUSINESS, ctx -> ctx.json(settingsBody(business(current()))));
    r.post(BUSINESS, this::postBusiness);
    r.get(PHOTO, this::getPhoto);
    r.post(PHOTO, this::postPhoto);
    r.delete(PHOTO, this::deletePhoto);
  }

  private Map<String, String> current() {
    return AppSetting.effective(settings.get().getApplicationMap());
  }

  private static ObjectNode about(Map<String, String> effective) {
    ObjectNode profile = SettingsJson.json(effective, AppSetting.Section.PROFILE);
    ((ObjectNode) profile.get("profile")).remove("photo"); // its own route
    return profile;
  }

  private static ObjectNode business(Map<String, String> effective) {
    return SettingsJson.json(effective, AppSetting.Section.BUSINESS);
  }

  private static Map<String, Object> settingsBody(ObjectNode settings) {
    return Map.of("settings", settings, "meta", WebappServer.meta());
  }

  private void patchAbout(Context ctx) {
    Auth.requireAdmin(ctx, "change the profile");
    JsonNode b = WebappServer.body(ctx);
    if (b.path("text").isMissingNode() || b.path("text").isNull()) {
      throw ApiError.absent("text").failure();
    }
    change(ctx, SettingsJson.changes(b, AppSetting.Section.PROFILE, "profile.about."));
    ctx.json(Map.of("meta", WebappServer.meta()));
  }

  private void postBusiness(Context ctx) {
    Auth.requireAdmin(ctx, "change the business profile");
    Map<String, String> changes =
        SettingsJson.changes(
            WebappServer.body(ctx), AppSetting.Section.BUSINESS, "business.profile.");
    if (changes.isEmpty()) {
      throw ApiError.noValidParameters().failure();
    }
    change(ctx, changes);
    ctx.json(Map.of("meta", WebappServer.meta()));
  }

  /** Replicates {@code changes} through the masters, as the REST caller. */
  private void change(Context ctx, Map<String, String> changes) {
    asCaller
        .apply(ctx)
        .call(
            s ->
                s.updateApplicationSettings(
                    UpdateApplicationSettingsRequest.newBuilder().putAllChanges(changes).build()));
  }

  /** The photo's medium, when there is one. */
  private Optional<MediaStore.Medium> photo() throws IOException {
    String id = AppSetting.PROFILE_PHOTO.in(current());
    return id.isEmpty() ? Optional.empty() : store.get(id);
  }

  /**
   * The photo's bytes as an attachment, or with {@code ?format=link} a link to them (the medium,
   * which any webapp of the cluster serves).
   */
  private void getPhoto(Context ctx) throws IOException {
    MediaStore.Medium m =
        photo().orElseThrow(() -> ApiError.notFound("no profile photo is set").failure());
    if ("link".equals(ctx.queryParam("format"))) {
      String link = ctx.scheme() + "://" + ctx.host() + "/v1/media/" + m.id();
      ctx.json(
          Map.of(
              "settings",
              Map.of("profile", Map.of("photo", Map.of("link", link))),
              "meta",
              WebappServer.meta()));
      return;
    }
    ctx.contentType(m.contentType());
    ctx.header("Content-Disposition", "attachment; filename=profilePicture.jpg");
    ctx.header("Content-Length", Long.toString(m.size()));
    ctx.result(Files.newInputStream(m.file()));
  }

  /** A JPEG or PNG image (5 MB at most, as any image) becomes the photo; the old one is deleted. */
  private void postPhoto(Context ctx) throws IOException {
    Auth.requireAdmin(ctx, "change the profile photo");
    Optional<MediaStore.Medium> old = photo();
    String id =
        media.store(
            ctx,
            type ->
                type.startsWith("image/jpeg") || type.startsWith("image/png")
                    ? Optional.empty()
                    : Optional.of("must be image/jpeg or image/png"));
    try {
      change(ctx, Map.of(AppSetting.PROFILE_PHOTO.apiName(), id));
    } catch (RuntimeException e) {
      store.delete(id); // no setting names it: not kept
      throw e;
    }
    deleteQuietly(old);
    ctx.status(201).json(Map.of("meta", WebappServer.meta()));
  }

  private void deletePhoto(Context ctx) throws IOException {
    Auth.requireAdmin(ctx, "delete the profile photo");
    Optional<MediaStore.Medium> old = photo();
    change(ctx, Map.of(AppSetting.PROFILE_PHOTO.apiName(), ""));
    deleteQuietly(old);
    ctx.json(Map.of("meta", WebappServer.meta()));
  }

  private void deleteQuietly(Optional<MediaStore.Medium> old) {
    try {
      if (old.isPresent()) {
        store.delete(old.get().id());
      }
    } catch (IOException e) {
      LOG.warn("the previous profile photo {} was not deleted: {}", old.get().id(), e.toString());
    }
  }
}
