-- 0011_key_policies: the policies a key carries (docs/api.md, "Key
-- policies"), and keys made by the platform API, whose creator is a service
-- token (created_by holds its stk_ id) rather than a user.
--
-- SQLite cannot drop a foreign key in place: the table is rebuilt, its rows
-- copied and its indexes made again. migrate runs every migration with
-- foreign keys off and checks them before committing (SQLite's procedure
-- for schema changes): dropping api_keys with them on would delete every
-- usage_daily row through its ON DELETE CASCADE. usage_daily's reference
-- names api_keys and finds the new table under that name.
--
-- A key's scopes and allowed_cidrs are space-separated lists; meta is a
-- compact JSON object; rate_limit and rate_window_ms are both set or both
-- NULL (the team plan's limit).
CREATE TABLE api_keys_new (
    id             TEXT    NOT NULL PRIMARY KEY,
    team_id        TEXT    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_by     TEXT    NOT NULL, -- a user's id, or a service token's
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    prefix         TEXT    NOT NULL,
    digest         BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    role           TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    revoked_at     INTEGER,
    last_used      INTEGER,
    usage_count    INTEGER NOT NULL DEFAULT 0,
    issued_to      TEXT    NOT NULL DEFAULT '',
    lifetime_ms    INTEGER NOT NULL DEFAULT 0 CHECK (lifetime_ms >= 0),
    test_mode      INTEGER NOT NULL DEFAULT 0 CHECK (test_mode IN (0, 1)),
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    scopes         TEXT    NOT NULL DEFAULT '',
    meta           TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
    rate_limit     INTEGER CHECK (rate_limit > 0),
    rate_window_ms INTEGER CHECK (rate_window_ms > 0),
    allowed_cidrs  TEXT    NOT NULL DEFAULT '',
    CHECK ((rate_limit IS NULL) = (rate_window_ms IS NULL))
) STRICT;
INSERT INTO api_keys_new (id, team_id, created_by, name, description, prefix, digest, role,
    created_at, expires_at, revoked_at, last_used, usage_count, issued_to, lifetime_ms)
SELECT id, team_id, created_by, name, description, prefix, digest, role,
    created_at, expires_at, revoked_at, last_used, usage_count, issued_to, lifetime_ms
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;

CREATE INDEX api_keys_team_page ON api_keys (team_id, created_at, id);
CREATE INDEX api_keys_team_creator_page ON api_keys (team_id, created_by, created_at, id);
CREATE INDEX api_keys_issued_to ON api_keys (issued_to) WHERE issued_to <> '';
