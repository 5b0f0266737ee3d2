package io.multiconnect.dataplane.webapp;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.multiconnect.common.shard.WaIds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/contacts}: whether numbers are WhatsApp users, each asked of the primary of its
 * recipient's shard, which answers from what its upstream said (kept 7 days) or asks it. {@code
 * "blocking": "wait"} answers once every number is known; {@code "no_wait"} (the default) at once,
 * numbers not known yet {@code processing} (a later check knows them). A number that is not a phone
 * number is {@code invalid} without asking anyone.
 */
final class ContactRoutes {
  private final MessageRouter router;

  ContactRoutes(MessageRouter router) {
    this.router = router;
  }

  void register(RoutesConfig r) {
    r.post("/v1/contacts", this::check);
  }

  /** A request: the numbers as written, in order, and how to check them. */
  record Query(List<String> inputs, boolean forceCheck, boolean blocking) {}

  /** The request {@code b} makes; fails with the API's error naming the first wrong field. */
  static Query parse(JsonNode b) {
    JsonNode contacts = b.get("contacts");
    if (contacts == null || contacts.isNull()) {
      throw ApiError.absent("contacts").failure();
    }
    if (!contacts.isArray() || contacts.isEmpty() || contacts.size() > WaIds.MAX_PER_CHECK) {
      throw ApiError.invalid(
              "contacts", "must be an array of 1-" + WaIds.MAX_PER_CHECK + " phone numbers")
          .failure();
    }
    List<String> inputs = new ArrayList<>(contacts.size());
    for (int i = 0; i < contacts.size(); i++) {
      if (!contacts.get(i).isTextual()) {
        throw ApiError.invalid("contacts[" + i + "]", "must be a string").failure();
      }
      inputs.add(contacts.get(i).asText()); // any text: what is no phone number is invalid
    }
    JsonNode blocking = b.get("blocking");
    if (blocking != null && !blocking.isNull()) {
      JsonShape.oneOf("wait", "no_wait").check(blocking, "blocking");
    }
    JsonNode force = b.get("force_check");
    if (force != null && !force.isNull()) {
      JsonShape.bool().check(force, "force_check");
    }
    return new Query(
        List.copyOf(inputs),
        force != null && force.asBoolean(),
        blocking != null && blocking.asText().equals("wait"));
  }

  /**
   * The API's {@code contacts} array: per input, in order, its status from {@code statuses} (by
   * WhatsApp id) and its {@code wa_id} when valid; an input that is no phone number is invalid.
   */
  static List<Map<String, String>> answer(List<String> inputs, Map<String, String> statuses) {
    List<Map<String, String>> out = new ArrayList<>(inputs.size());
    for (String input : inputs) {
      Optional<String> waId = WaIds.normalize(input);
      String status = waId.map(statuses::get).orElse("invalid");
      Map<String, String> item = new LinkedHashMap<>();
      item.put("input", input);
      item.put("status", status);
      if (status.equals("valid")) {
        item.put("wa_id", waId.get());
      }
      out.add(item);
    }
    return out;
  }

  private void check(Context ctx) {
    Query q = parse(WebappServer.body(ctx));
    List<String> waIds =
        q.inputs().stream().map(WaIds::normalize).flatMap(Optional::stream).toList();
    ctx.future(
        () ->
            router
                .contacts(waIds, q.forceCheck(), q.blocking(), WebappServer.ROUTE_BUDGET)
                .thenAccept(
                    statuses ->
                        ctx.json(
                            Map.of(
                                "contacts",
                                answer(q.inputs(), statuses),
                                "meta",
                                WebappServer.meta()))));
  }
}
