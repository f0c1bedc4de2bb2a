-- 0001_init: the whole schema of Pome's first release.
-- Times are INTEGER unix milliseconds UTC. Tables are STRICT so that a value
-- of the wrong type is an error rather than silently stored.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE, -- lower-cased by the account layer
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE teams (
    id         TEXT    NOT NULL PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    plan_tier  TEXT    NOT NULL CHECK (plan_tier IN ('free', 'pro', 'enterprise')),
    status     TEXT    NOT NULL CHECK (status IN ('active', 'banned')),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    team_id    TEXT    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) STRICT, WITHOUT ROWID;

-- A user's teams, oldest membership first (the first is the default team).
CREATE INDEX memberships_user ON memberships (user_id, created_at);

CREATE TABLE sessions (
    digest     BLOB    NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    team_id     TEXT    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_by  TEXT    NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    prefix      TEXT    NOT NULL,
    digest      BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER,
    last_used   INTEGER,
    usage_count INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Listing a team's keys newest first.
CREATE INDEX api_keys_team_created ON api_keys (team_id, created_at);
-- The foreign key to users needs its child column indexed, or deleting a
-- user scans every key.
CREATE INDEX api_keys_created_by ON api_keys (created_by);

CREATE TABLE usage_daily (
    key_id TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day    INTEGER NOT NULL, -- midnight UTC, unix milliseconds
    count  INTEGER NOT NULL,
    PRIMARY KEY (key_id, day)
) STRICT, WITHOUT ROWID;

-- The change log has no foreign keys: an entry outlives what it is about.
-- AUTOINCREMENT so that a sequence number is never reused, even after the
-- newest rows are deleted: pollers remember the last one they saw.
CREATE TABLE changes (
    seq     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind    TEXT    NOT NULL CHECK (kind IN ('key_revoked', 'team_updated')),
    team_id TEXT    NOT NULL,
    key_id  TEXT    NOT NULL DEFAULT '',
    at      INTEGER NOT NULL
) STRICT;
