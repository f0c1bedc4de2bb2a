-- 0003_service_tokens: the credentials of backends that call
-- POST /v1/keys/verify (as internal/sqlite/migrations/0003_service_tokens.sql).
-- Like API keys, only a token's SHA-256 digest is stored. A token belongs to
-- no team; `pome admin service-token` manages them.
CREATE TABLE service_tokens (
    id         text        NOT NULL PRIMARY KEY,
    name       text        NOT NULL CHECK (name <> ''),
    prefix     text        NOT NULL,
    digest     bytea       NOT NULL CONSTRAINT service_tokens_digest_key UNIQUE CHECK (length(digest) = 32),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
