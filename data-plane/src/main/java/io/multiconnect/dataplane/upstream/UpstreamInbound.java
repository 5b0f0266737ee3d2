package io.multiconnect.dataplane.upstream;

import io.multiconnect.proto.v1.upstream.InjectInboundRequest;
import io.multiconnect.proto.v1.upstream.InjectInboundResponse;
import java.io.PrintStream;
import java.util.Map;

/**
 * {@code bin/multiconnect upstream inbound --from WA_ID --text TEXT [--count N] [--name NAME]
 * [--address HOST:PORT]}: a WhatsApp user writes to the business, as far as the simulator goes; the
 * messages reach the webhook through the primary of the shard that owns the sender.
 */
final class UpstreamInbound {
  private UpstreamInbound() {}

  private static final String USAGE =
      "usage: upstream inbound --from WA_ID --text TEXT [--count N] [--name NAME]"
          + " [--address HOST:PORT]";

  /** Injects the messages; returns the exit status (0, 1 when refused or unreachable, 2 usage). */
  static int run(String[] args, Map<String, String> env, PrintStream out) {
    String address = UpstreamReport.DEFAULT_ADDRESS;
    InjectInboundRequest.Builder r = InjectInboundRequest.newBuilder();
    try {
      for (int i = 0; i < args.length; i += 2) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(args[i] + " needs a value");
        }
        String v = args[i + 1];
        switch (args[i]) {
          case "--from" -> r.setFrom(v);
          case "--text" -> r.setText(v);
          case "--count" -> r.setCount(Integer.parseInt(v));
          case "--name" -> r.setName(v);
          case "--address" -> address = v;
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      if (r.getFrom().isEmpty() || r.getText().isEmpty()) {
        throw new IllegalArgumentException("--from and --text are required");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("upstream inbound: " + e.getMessage() + "\n" + USAGE);
      return 2;
    }
    return UpstreamReport.withSimulator(
        address,
        env,
        "upstream inbound",
        stub -> {
          InjectInboundResponse made = stub.injectInbound(r.build());
          out.printf(
              "%d inbound message(s) from %s: events %s%n",
              made.getEventIdsCount(), r.getFrom(), String.join(" ", made.getEventIdsList()));
          return 0;
        });
  }
}
