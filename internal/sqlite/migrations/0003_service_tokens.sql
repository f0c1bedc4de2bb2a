-- 0003_service_tokens: the credentials of backends that call
-- POST /v1/keys/verify. Like API keys, only a token's SHA-256 digest is
-- stored. A token belongs to no team; `pome admin service-token` manages them.
CREATE TABLE service_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL CHECK (name <> ''),
    prefix     TEXT    NOT NULL,
    digest     BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
