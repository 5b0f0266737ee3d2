package io.multiconnect.chaos.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiconnect.chaos.history.Event;
import io.multiconnect.chaos.history.History;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookAtLeastOnceTest {
  private final List<Event> events = new ArrayList<>();

  private void add(String op, String key, String value) {
    events.add(Event.of(events.size(), Event.Type.OK, op, op, key, value));
  }

  @Test
  void everyOwedEventReceivedOnceOrMorePasses() {
    add("inbound", "wamid.in1", "15550001111");
    add("accepted", "wamid.sim1", "15550002222");
    add("accepted", "wamid.sim2", "15550003399"); // unreachable: one failed status
    for (String s : List.of("sent", "delivered", "read")) {
      add("webhook", "status:wamid.sim1/" + s, null);
    }
    add("webhook", "status:wamid.sim2/failed", null);
    add("webhook", "msg:wamid.in1", null);
    add("webhook", "msg:wamid.in1", null); // redelivered after a failover: allowed, counted
    History h = new History(events);
    CheckResult r = new WebhookAtLeastOnce().check(h);
    assertEquals(List.of(), r.violations());
    assertEquals(5, r.examined());
    assertEquals(1, WebhookAtLeastOnce.duplicates(h));
  }

  @Test
  void aLostMessageOrStatusIsAViolation() {
    add("inbound", "wamid.in1", "15550001111");
    add("accepted", "wamid.sim1", "15550002222");
    add("webhook", "status:wamid.sim1/sent", null);
    add("webhook", "status:wamid.sim1/read", null);
    CheckResult r = new WebhookAtLeastOnce().check(new History(events));
    assertEquals(
        List.of(
            "never reached the webhook: msg:wamid.in1",
            "never reached the webhook: status:wamid.sim1/delivered"),
        r.violations());
  }
}
