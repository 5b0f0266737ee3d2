-- Database-based liveness, as in the original: every coreapp upserts its row every
-- db_heartbeat_interval. Informational for operators and tools; failover is decided by the leader from
-- gRPC heartbeats (docs/mirror.md).
CREATE TABLE IF NOT EXISTS coreapp_liveness (
  id        VARCHAR(128) NOT NULL PRIMARY KEY,
  address   VARCHAR(255) NOT NULL,
  last_seen TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
