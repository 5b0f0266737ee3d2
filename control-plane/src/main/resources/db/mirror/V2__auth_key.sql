-- The key that signs API tokens, so a webapp started while no master answers can still check tokens.
-- Sensitive: protect the mirror database like the masters' data directories.
CREATE TABLE IF NOT EXISTS auth_key (
  id         TINYINT      NOT NULL PRIMARY KEY,
  token_key  VARCHAR(255) NOT NULL,
  raft_index BIGINT       NOT NULL
);
