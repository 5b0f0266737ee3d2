package io.multiconnect.dataplane.webapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContactRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s.replace('\'', '"'));
  }

  private static ApiError refused(String body) {
    return assertThrows(ApiError.Failure.class, () -> ContactRoutes.parse(json(body))).error;
  }

  @Test
  void blockingIsNoWaitUnlessSaidAndForceCheckFalse() throws Exception {
    ContactRoutes.Query q = ContactRoutes.parse(json("{'contacts':['+1 (516) 283-7151']}"));
    assertEquals(List.of("+1 (516) 283-7151"), q.inputs());
    assertFalse(q.blocking());
    assertFalse(q.forceCheck());
    q = ContactRoutes.parse(json("{'contacts':['1'],'blocking':'wait','force_check':true}"));
    assertTrue(q.blocking());
    assertTrue(q.forceCheck());
    assertFalse(
        ContactRoutes.parse(json("{'contacts':['1'],'blocking':null,'force_check':null}"))
            .blocking());
  }

  @Test
  void everyWrongFieldIsNamedWithTheApiCode() {
    assertEquals(1008, refused("{}").code());
    assertEquals(1008, refused("{'contacts':null}").code());
    for (String body :
        List.of(
            "{'contacts':'16315551000'}",
            "{'contacts':[]}",
            "{'contacts':[16315551000]}",
            "{'contacts':['1'],'blocking':'sometimes'}",
            "{'contacts':['1'],'force_check':'yes'}")) {
      ApiError e = refused(body);
      assertEquals(1009, e.code(), body);
      assertEquals(400, e.httpStatus(), body);
    }
    assertTrue(refused("{'contacts':[1]}").details().contains("contacts[0]"));
    String many = "{'contacts':[" + "'1',".repeat(1000) + "'1']}";
    assertTrue(refused(many).details().contains("1-1000"));
  }

  @Test
  void theAnswerKeepsTheInputsOrderAndGivesWaIdsOnlyToValidNumbers() {
    List<Map<String, String>> answer =
        ContactRoutes.answer(
            List.of("+1 (516) 283-7151", "16315551098", "not a number", "1-516-283-7151"),
            Map.of("15162837151", "valid", "16315551098", "invalid"));
    assertEquals(
        List.of(
            Map.of("input", "+1 (516) 283-7151", "status", "valid", "wa_id", "15162837151"),
            Map.of("input", "16315551098", "status", "invalid"),
            Map.of("input", "not a number", "status", "invalid"),
            Map.of("input", "1-516-283-7151", "status", "valid", "wa_id", "15162837151")),
        answer);
  }
}
