-- The MySQL mirror of the replicated state. Written only by the Raft leader, after commit; every row
-- carries the Raft index (and epoch) it reflects, and every write is conditional on them, so the mirror
-- never goes backwards, even when a deposed leader writes late.
CREATE TABLE IF NOT EXISTS cluster_state (
  id          TINYINT      NOT NULL PRIMARY KEY,
  shard_count INT          NOT NULL,
  last_epoch  BIGINT       NOT NULL,
  raft_index  BIGINT       NOT NULL,
  updated_at  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

CREATE TABLE IF NOT EXISTS shards (
  shard           INT          NOT NULL PRIMARY KEY,
  primary_coreapp VARCHAR(128) NULL,
  primary_address VARCHAR(255) NULL,
  -- The primary's epoch; for a shard without primary, the epoch counter at raft_index.
  epoch           BIGINT       NOT NULL,
  raft_index      BIGINT       NOT NULL,
  updated_at      TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

CREATE TABLE IF NOT EXISTS coreapps (
  id         VARCHAR(128) NOT NULL PRIMARY KEY,
  address    VARCHAR(255) NOT NULL,
  -- primary, secondary, releasing or drained
  state      VARCHAR(16)  NOT NULL,
  shard      INT          NULL,
  epoch      BIGINT       NOT NULL,
  raft_index BIGINT       NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
