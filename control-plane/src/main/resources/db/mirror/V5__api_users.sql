-- The API users as webapps check tokens against them (no password hashes): a serialized ApiUsers
-- message (proto/common.proto), written with the keys at the same Raft index.
ALTER TABLE token_public_keys ADD COLUMN api_users MEDIUMBLOB NULL;
