package io.multiconnect.dataplane.webapp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OutboundMessagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MEDIUM = "3f1e2d4c-5b6a-4789-8abc-def012345678";
  private final OutboundMessages messages = new OutboundMessages(Set.of(MEDIUM)::contains);

  /** One valid message of every type, as the On-Premises API's reference gives them. */
  static final Map<String, String> VALID =
      Map.ofEntries(
          Map.entry(
              "text",
              "{'to':'+1 (555) 123-4567','type':'text','preview_url':true,"
                  + "'recipient_type':'individual','text':{'body':'see https://example.com'}}"),
          Map.entry(
              "template",
              "{'to':'15551234567','type':'template','template':{'namespace':'ns','name':'order',"
                  + "'language':{'policy':'deterministic','code':'en_US'},'components':["
                  + "{'type':'header','parameters':[{'type':'image','image':{'link':'https://x.io/a.png'}}]},"
                  + "{'type':'body','parameters':[{'type':'text','text':'Ada'},"
                  + "{'type':'currency','currency':{'fallback_value':'$100.99','code':'USD','amount_1000':100990}},"
                  + "{'type':'date_time','date_time':{'fallback_value':'February 25, 1977'}}]},"
                  + "{'type':'button','sub_type':'quick_reply','index':'0',"
                  + "'parameters':[{'type':'payload','payload':'yes'}]}]}}"),
          Map.entry(
              "hsm",
              "{'to':'15551234567','type':'hsm','hsm':{'namespace':'ns','element_name':'hello',"
                  + "'language':{'policy':'deterministic','code':'en'},"
                  + "'localizable_params':[{'default':'1234'},"
                  + "{'default':'$1','currency':{'currency_code':'USD','amount_1000':1000}}]}}"),
          Map.entry(
              "image",
              "{'to':'15551234567','type':'image','image':{'id':'" + MEDIUM + "','caption':'hi'}}"),
          Map.entry(
              "audio", "{'to':'15551234567','type':'audio','audio':{'link':'https://x.io/a.ogg'}}"),
          Map.entry(
              "video",
              "{'to':'15551234567','type':'video','video':{'link':'http://x.io/v.mp4',"
                  + "'provider':{'name':'cdn'}}}"),
          Map.entry(
              "document",
              "{'to':'15551234567','type':'document','document':{'id':'"
                  + MEDIUM
                  + "','filename':'invoice.pdf'}}"),
          Map.entry(
              "sticker", "{'to':'15551234567','type':'sticker','sticker':{'id':'" + MEDIUM + "'}}"),
          Map.entry(
              "location",
              "{'to':'15551234567','type':'location','location':{'latitude':37.48,"
                  + "'longitude':-122.14,'name':'HQ','address':'1 Hacker Way'}}"),
          Map.entry(
              "contacts",
              "{'to':'15551234567','type':'contacts','contacts':[{'name':{'formatted_name':'Ada L',"
                  + "'first_name':'Ada'},'phones':[{'phone':'+1 555 0100','type':'CELL'}],"
                  + "'birthday':'1815-12-10'}]}"),
          Map.entry(
              "interactive",
              "{'to':'15551234567','type':'interactive','interactive':{'type':'list',"
                  + "'body':{'text':'Pick one'},'action':{'button':'Options','sections':["
                  + "{'title':'A','rows':[{'id':'a1','title':'First'}]},"
                  + "{'title':'B','rows':[{'id':'b1','title':'Second','description':'2nd'}]}]}}}"),
          Map.entry(
              "reaction",
              "{'to':'15551234567','type':'reaction','reaction':{'message_id':'wamid.x',"
                  + "'emoji':'\\u00f0'}}"));

  private OutboundMessages.Outbound check(String singleQuoted) {
    byte[] raw = singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    try {
      JsonNode body = JSON.readTree(raw);
      return messages.check(body, raw);
    } catch (java.io.IOException e) {
      throw new AssertionError("test body is not JSON: " + singleQuoted, e);
    }
  }

  @Test
  void everyTypePassesAsSentWithItsRecipientsDigits() {
    for (String type : OutboundMessages.TYPES) {
      String body = VALID.get(type);
      OutboundMessages.Outbound m = check(body);
      assertEquals(type, m.type());
      assertArrayEquals(
          body.replace('\'', '"').getBytes(StandardCharsets.UTF_8), m.payload(), type);
      assertEquals("15551234567", m.to(), type);
    }
  }

  @Test
  void aMessageWithoutTypeIsText() {
    assertEquals("text", check("{'to':'15551234567','text':{'body':'hi'}}").type());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "no to | {'type':'text','text':{'body':'x'}} | 1008 | 'to'",
        "bad to | {'to':'12-ab','text':{'body':'x'}} | 1009 | 'to'",
        "two pluses | {'to':'++15551234567','text':{'body':'x'}} | 1009 | 'to'",
        "unknown type | {'to':'15551234567','type':'fax','fax':{}} | 1009 | 'type'",
        "group | {'to':'15551234567','recipient_type':'group','text':{'body':'x'}} | 1009 | 'recipient_type'",
        "no content | {'to':'15551234567','type':'image'} | 1008 | 'image'",
        "another type's content | {'to':'15551234567','text':{'body':'x'},'image':{'link':'https://x'}} | 1010 | 'image'",
        "empty body | {'to':'15551234567','text':{'body':''}} | 1009 | 'text.body'",
        "preview_url not boolean | {'to':'15551234567','preview_url':'yes','text':{'body':'x'}} | 1009 | 'preview_url'",
        "template without language | {'to':'15551234567','type':'template','template':{'namespace':'n','name':'t'}} | 1008 | 'template.language'",
        "template bad policy | {'to':'15551234567','type':'template','template':{'namespace':'n','name':'t','language':{'policy':'any','code':'en'}}} | 1009 | 'template.language.policy'",
        "button without index | {'to':'15551234567','type':'template','template':{'namespace':'n','name':'t','language':{'code':'en'},'components':[{'type':'button','sub_type':'url'}]}} | 1008 | 'template.components[0].index'",
        "parameter without its value | {'to':'15551234567','type':'template','template':{'namespace':'n','name':'t','language':{'code':'en'},'components':[{'type':'body','parameters':[{'type':'currency'}]}]}} | 1008 | 'template.components[0].parameters[0].currency'",
        "hsm without element_name | {'to':'15551234567','type':'hsm','hsm':{'namespace':'n','language':{'code':'en'}}} | 1008 | 'hsm.element_name'",
        "localizable without default | {'to':'15551234567','type':'hsm','hsm':{'namespace':'n','element_name':'e','language':{'code':'en'},'localizable_params':[{}]}} | 1008 | 'hsm.localizable_params[0].default'",
        "media without id or link | {'to':'15551234567','type':'image','image':{'caption':'x'}} | 1008 | 'image.id or image.link'",
        "media with both | {'to':'15551234567','type':'audio','audio':{'id':'3f1e2d4c-5b6a-4789-8abc-def012345678','link':'https://x'}} | 1009 | 'audio'",
        "unknown medium | {'to':'15551234567','type':'image','image':{'id':'00000000-0000-4000-8000-000000000000'}} | 1009 | 'image.id'",
        "link not http | {'to':'15551234567','type':'video','video':{'link':'ftp://x/v.mp4'}} | 1009 | 'video.link'",
        "latitude out of range | {'to':'15551234567','type':'location','location':{'latitude':91,'longitude':0}} | 1009 | 'location.latitude'",
        "latitude as text | {'to':'15551234567','type':'location','location':{'latitude':'1','longitude':0}} | 1009 | 'location.latitude'",
        "contact without name | {'to':'15551234567','type':'contacts','contacts':[{'phones':[]}]} | 1008 | 'contacts[0].name'",
        "no contacts | {'to':'15551234567','type':'contacts','contacts':[]} | 1009 | 'contacts'",
        "four buttons | {'to':'15551234567','type':'interactive','interactive':{'type':'button','body':{'text':'b'},'action':{'buttons':[{'type':'reply','reply':{'id':'1','title':'a'}},{'type':'reply','reply':{'id':'2','title':'b'}},{'type':'reply','reply':{'id':'3','title':'c'}},{'type':'reply','reply':{'id':'4','title':'d'}}]}}} | 1009 | 'interactive.action.buttons'",
        "button title too long | {'to':'15551234567','type':'interactive','interactive':{'type':'button','body':{'text':'b'},'action':{'buttons':[{'type':'reply','reply':{'id':'1','title':'123456789012345678901'}}]}}} | 1009 | 'interactive.action.buttons[0].reply.title'",
        "list without button | {'to':'15551234567','type':'interactive','interactive':{'type':'list','body':{'text':'b'},'action':{'sections':[{'rows':[{'id':'1','title':'a'}]}]}}} | 1008 | 'interactive.action.button'",
        "untitled sections | {'to':'15551234567','type':'interactive','interactive':{'type':'list','body':{'text':'b'},'action':{'button':'go','sections':[{'rows':[{'id':'1','title':'a'}]},{'rows':[{'id':'2','title':'b'}]}]}}} | 1008 | 'interactive.action.sections[0].title'",
        "interactive without body | {'to':'15551234567','type':'interactive','interactive':{'type':'button','action':{'buttons':[{'type':'reply','reply':{'id':'1','title':'a'}}]}}} | 1008 | 'interactive.body'",
        "reaction without emoji | {'to':'15551234567','type':'reaction','reaction':{'message_id':'m'}} | 1008 | 'reaction.emoji'",
      })
  void refusesWithTheApisCodeNamingTheField(String why, String body, int code, String field) {
    ApiError e = assertThrows(ApiError.Failure.class, () -> check(body)).error;
    assertEquals(code, e.code(), why + ": " + e);
    assertEquals(400, e.httpStatus(), why);
    assertEquals(true, e.details().contains(field), why + ": " + e.details());
  }

  @Test
  void elevenRowsInAllAreTooMany() {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      rows.append(i == 0 ? "" : ",").append("{'id':'r").append(i).append("','title':'t'}");
    }
    String section = "{'title':'s','rows':[" + rows + "]}";
    ApiError e =
        assertThrows(
                ApiError.Failure.class,
                () ->
                    check(
                        "{'to':'15551234567','type':'interactive','interactive':{'type':'list',"
                            + "'body':{'text':'b'},'action':{'button':'go','sections':["
                            + section
                            + ","
                            + section
                            + "]}}}"))
            .error;
    assertEquals(1009, e.code());
    assertEquals(true, e.details().contains("at most 10 rows"), e.details());
  }

  @Test
  void aTextOverTheLimitIsTooLongAsTheApiSays() {
    ApiError e =
        assertThrows(
                ApiError.Failure.class,
                () -> check("{'to':'15551234567','text':{'body':'" + "x".repeat(4097) + "'}}"))
            .error;
    assertEquals(1001, e.code());
    assertEquals("Message too long", e.title());
    // 4096 characters that take two UTF-16 units each are still 4096 characters
    check("{'to':'15551234567','text':{'body':'" + "\uD83D\uDE00".repeat(4096) + "'}}");
  }
}
