package io.multiconnect.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.multiconnect.common.net.Endpoints;
import io.multiconnect.common.tls.NodeIdentity;
import io.multiconnect.common.tls.PeerCheck;
import io.multiconnect.proto.v1.upstream.AcceptedMessage;
import io.multiconnect.proto.v1.upstream.AcceptedMessageRequest;
import io.multiconnect.proto.v1.upstream.UpstreamGrpc;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The On-Premises message path on a cluster of processes with two webapps: a medium uploaded
 * through one is read and deleted through the other, every message type goes through either and
 * reaches the upstream byte for byte as the client sent it, contacts are checked through either.
 */
@Tag("slow")
class MessageTypesTest {
  @TempDir Path dir;

  @Test
  void everyTypeAndMediumCrossesTheClusterUnchanged() throws Exception {
    try (Lab lab =
        SmallTlsLab.create(dir.resolve("lab"), SmallTlsLab.options(1, Map.of()).withWebapps(2))) {
      lab.start();
      Lab.Ready ready = lab.ready(200, 2_000, "media-Passw0rd", Duration.ofSeconds(120));
      Http w1 = new Http(URI.create(lab.webappUrl("w1")).getPort());
      Http w2 = new Http(URI.create(lab.webappUrl("w2")).getPort());
      w1.authorization = ready.authorization();
      w2.authorization = ready.authorization();

      // A medium through w1, read through w2.
      byte[] png = new byte[300_000];
      new Random(7).nextBytes(png);
      Http.Response uploaded = w1.upload("/v1/media", png, "image/png");
      assertEquals(201, uploaded.status(), uploaded.toString());
      String id = uploaded.json().path("media").get(0).path("id").asText();
      HttpResponse<byte[]> read = w2.download("/v1/media/" + id);
      assertEquals(200, read.statusCode());
      assertEquals("image/png", read.headers().firstValue("Content-Type").orElse(""));
      assertArrayEquals(png, read.body());

      Map<String, String> messages = examples(id);
      ManagedChannel upstream =
          Endpoints.channel(
              lab.upstreamAddress(), lab.adminTls(), PeerCheck.role(NodeIdentity.Role.UPSTREAM));
      try {
        int n = 0;
        for (Map.Entry<String, String> m : messages.entrySet()) {
          Http via = n++ % 2 == 0 ? w1 : w2;
          Http.Response sent = via.call("POST", "/v1/messages", m.getValue());
          assertEquals(201, sent.status(), m.getKey() + ": " + sent);
          String wamid = sent.json().path("messages").get(0).path("id").asText();
          AcceptedMessage arrived =
              UpstreamGrpc.newBlockingStub(upstream)
                  .getAcceptedMessage(
                      AcceptedMessageRequest.newBuilder().setMessageId(wamid).build());
          assertEquals(m.getKey(), arrived.getType());
          assertEquals("15551234567", arrived.getTo());
          assertArrayEquals(
              m.getValue().getBytes(StandardCharsets.UTF_8),
              arrived.getPayload().toByteArray(),
              m.getKey() + " arrived as sent");
        }
      } finally {
        Endpoints.shutdown(List.of(upstream));
      }

      // Contacts, through either webapp, over the cluster's mutual TLS: a number ending in 98 has
      // no
      // WhatsApp user in the simulated network.
      Http.Response contacts =
          w2.call(
              "POST",
              "/v1/contacts",
              "{\"blocking\":\"wait\",\"contacts\":[\"+1 555-123-4567\",\"15551234598\"]}");
      assertEquals(200, contacts.status(), contacts.toString());
      assertEquals(
          "valid",
          contacts.json().path("contacts").get(0).path("status").asText(),
          contacts.toString());
      assertEquals("15551234567", contacts.json().path("contacts").get(0).path("wa_id").asText());
      assertEquals("invalid", contacts.json().path("contacts").get(1).path("status").asText());
      Http.Response known = w1.call("POST", "/v1/contacts", "{\"contacts\":[\"15551234567\"]}");
      assertEquals(
          "valid", known.json().path("contacts").get(0).path("status").asText(), known.toString());

      // Deleted through w2: gone for w1 and for messages.
      assertEquals(200, w2.call("DELETE", "/v1/media/" + id, null).status());
      Http.Response gone = w1.call("GET", "/v1/media/" + id, null);
      assertEquals(404, gone.status());
      assertEquals(1006, gone.json().path("errors").get(0).path("code").asInt());
      Http.Response stale = w1.call("POST", "/v1/messages", messages.get("image"));
      assertEquals(400, stale.status());
      assertEquals(1009, stale.json().path("errors").get(0).path("code").asInt());

      // The limits of a type, and an upload without its type.
      Http.Response tooLarge = w1.upload("/v1/media", new byte[5 * 1024 * 1024 + 1], "image/jpeg");
      assertEquals(400, tooLarge.status(), tooLarge.toString());
      assertEquals(1009, tooLarge.json().path("errors").get(0).path("code").asInt());
      assertEquals("", tooLarge.header("Connection"), "a refused body under 16 MiB is read");
      Http.Response untyped = w1.upload("/v1/media", png, null);
      assertEquals(400, untyped.status(), untyped.toString());
      assertEquals(1008, untyped.json().path("errors").get(0).path("code").asInt());
      Http.Response empty = w1.upload("/v1/media", new byte[0], "application/pdf");
      assertEquals(1008, empty.json().path("errors").get(0).path("code").asInt());
      assertTrue(
          w1.download("/v1/media/not-an-id").statusCode() == 404, "an id of no medium's shape");
    }
  }

  /**
   * One message of every type to 15551234567 (written as a phone number once), {@code media} an
   * uploaded id.
   */
  private static Map<String, String> examples(String media) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(
        "text",
        "{'to':'+1 555-123-4567','type':'text','preview_url':false,'text':{'body':'hello \\u00e9'}}");
    m.put(
        "template",
        "{'to':'15551234567','type':'template','template':{'namespace':'ns','name':'order',"
            + "'language':{'policy':'deterministic','code':'en_US'},'components':[{'type':'body',"
            + "'parameters':[{'type':'text','text':'Ada'}]}]}}");
    m.put(
        "hsm",
        "{'to':'15551234567','type':'hsm','hsm':{'namespace':'ns','element_name':'hello',"
            + "'language':{'policy':'deterministic','code':'en'},'localizable_params':[{'default':'1'}]}}");
    m.put(
        "image",
        "{'to':'15551234567','type':'image','image':{'id':'" + media + "','caption':'c'}}");
    m.put("audio", "{'to':'15551234567','type':'audio','audio':{'link':'https://x.io/a.ogg'}}");
    m.put("video", "{'to':'15551234567','type':'video','video':{'link':'https://x.io/v.mp4'}}");
    m.put(
        "document",
        "{'to':'15551234567','type':'document','document':{'id':'"
            + media
            + "','filename':'a.pdf'}}");
    m.put(
        "sticker",
        "{'to':'15551234567','type':'sticker','sticker':{'link':'https://x.io/s.webp'}}");
    m.put(
        "location",
        "{'to':'15551234567','type':'location','location':{'latitude':1.5,'longitude':-2.25}}");
    m.put(
        "contacts",
        "{'to':'15551234567','type':'contacts','contacts':[{'name':{'formatted_name':'Ada'}}]}");
    m.put(
        "interactive",
        "{'to':'15551234567','type':'interactive','interactive':{'type':'button','body':{'text':'?'},"
            + "'action':{'buttons':[{'type':'reply','reply':{'id':'y','title':'Yes'}}]}}}");
    m.put(
        "reaction",
        "{'to':'15551234567','type':'reaction','reaction':{'message_id':'wamid.x','emoji':'ok'}}");
    m.replaceAll((type, body) -> body.replace('\'', '"'));
    return m;
  }
}
