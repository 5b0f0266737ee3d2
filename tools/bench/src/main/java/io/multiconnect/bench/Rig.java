package io.multiconnect.bench;

import io.multiconnect.client.AdminClient;
import io.multiconnect.client.AdminException;
import io.multiconnect.common.shard.Sharding;
import io.multiconnect.lab.Lab;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.CoreappStatus;
import io.multiconnect.proto.v1.ShardAssignment;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The lab under measurement, with the calls every benchmark makes on it. */
final class Rig {
  private static final Logger LOG = LoggerFactory.getLogger(Rig.class);

  final Lab lab;
  final AdminClient admin;
  final String authorization;
  private final KeepAliveHttp http;

  Rig(Lab lab, Lab.Ready ready) {
    this.lab = lab;
    this.admin = ready.admin();
    this.authorization = ready.authorization();
    this.http = new KeepAliveHttp(URI.create(lab.webappUrl(lab.webapps.get(0))), 10_000);
  }

  ClusterStatus status() {
    return Lab.leaderStatus(admin);
  }

  static Optional<ShardAssignment> primary(ClusterStatus s, int shard) {
    return s.getShardMap().getAssignmentsList().stream()
        .filter(a -> a.getShard() == shard)
        .findFirst();
  }

  /** A healthy, undrained secondary. */
  static Optional<String> spare(ClusterStatus s) {
    return s.getCoreappsList().stream()
        .filter(c -> c.getHealthy() && c.getState().equals("secondary"))
        .map(CoreappStatus::getId)
        .findFirst();
  }

  /** A WhatsApp id whose shard is {@code shard} under {@code shards}. */
  static String recipient(int shard, int shards, int salt) {
    for (int i = 0; i < 10_000; i++) {
      String to = "1555" + salt + String.format("%06d", i);
      if (Sharding.shardOf(to, shards) == shard) {
        return to;
      }
    }
    throw new IllegalStateException("no recipient for shard " + shard);
  }

  /**
   * Waits until every shard has a primary, every coreapp whose process runs is healthy, no move is
   * pending and {@code also} holds; returns that status.
   */
  ClusterStatus awaitSteady(Duration timeout, Predicate<ClusterStatus> also) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        ClusterStatus s = status();
        boolean primaries =
            s.getShardMap().getAssignmentsCount() == s.getShardMap().getShardCount();
        boolean healthy =
            lab.coreapps.stream()
                .filter(c -> lab.process(c).isPresent())
                .allMatch(
                    c ->
                        s.getCoreappsList().stream()
                            .anyMatch(x -> x.getId().equals(c) && x.getHealthy()));
        if (primaries && healthy && s.getMovesCount() == 0 && also.test(s)) {
          return s;
        }
        last = s.getShardMap().toString().replace('\n', ' ');
      } catch (AdminException | IllegalStateException e) {
        last = e.getMessage();
      }
      pause(50);
    }
    throw new IllegalStateException("the cluster did not settle in " + timeout + ": " + last);
  }

  /** Sends one text message through the first webapp; the HTTP status, or 0 when no answer came. */
  int send(String to, String idempotencyKey) {
    return send(to, idempotencyKey, "\"type\":\"text\",\"text\":{\"body\":\"bench\"}");
  }

  /** A template message as businesses send most: a body with two parameters. */
  static final String TEMPLATE =
      "\"type\":\"template\",\"template\":{\"namespace\":\"bench\",\"name\":\"order_update\","
          + "\"language\":{\"policy\":\"deterministic\",\"code\":\"en_US\"},\"components\":["
          + "{\"type\":\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"Ada\"},"
          + "{\"type\":\"text\",\"text\":\"#1234\"}]}]}";

  /**
   * Sends one message whose body is {@code to} and then {@code content} (the type and its object);
   * the HTTP status, or 0 when no answer came.
   */
  int send(String to, String idempotencyKey, String content) {
    try {
      return http.post(
          "/v1/messages", authorization, idempotencyKey, "{\"to\":\"" + to + "\"," + content + "}");
    } catch (IOException | RuntimeException e) {
      LOG.info("send: no HTTP answer: {}", e.toString());
      return 0;
    }
  }

  /**
   * The heartbeat interval a settings round sets: different in every round (and from {@code base}),
   * so each round's change reaches watchers and the mirror as a change of its own.
   */
  static long roundHeartbeatMs(long base, int round) {
    return base + (round % 2 == 1 ? round : -round);
  }

  static void pause(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }
}
