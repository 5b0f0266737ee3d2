package io.multiconnect.common.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RedactTest {
  @Test
  void urlsLoseTheirCredentialsAndQueries() {
    assertEquals(
        "{webhooks.url=https://***@hooks.example/in?***}",
        Redact.urls("{webhooks.url=https://bob:s3cret@hooks.example/in?token=abc&x=1}"));
    assertEquals(
        "the webhook URL http://h:1/p?*** b is not usable: Illegal character in query at index 15:"
            + " http://h:1/p?*** b",
        Redact.urls(
            "the webhook URL http://h:1/p?a b is not usable: Illegal character in query at index 15:"
                + " http://h:1/p?a b"));
    assertEquals("https://hooks.example/in#part", Redact.urls("https://hooks.example/in#part"));
    assertEquals("no url here, user@example.com", Redact.urls("no url here, user@example.com"));
  }
}
