-- Only the public keys that verify API tokens: the signing key never leaves the masters. The table
-- older versions wrote held the signing secret itself; it goes.
DROP TABLE IF EXISTS auth_key;
CREATE TABLE IF NOT EXISTS token_public_keys (
  id         TINYINT NOT NULL PRIMARY KEY,
  jwk_set    TEXT    NOT NULL,
  raft_index BIGINT  NOT NULL
);
