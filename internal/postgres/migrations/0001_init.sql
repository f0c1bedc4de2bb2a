-- 0001_init: the whole schema of Pome's first release, as on SQLite
-- (internal/sqlite/migrations/0001_init.sql), the PostgreSQL way: times are
-- timestamptz (written to the millisecond, as SQLite keeps them), digests
-- bytea, the change log's sequence an identity column.
-- Constraint names are fixed: the store translates unique violations by name.

CREATE TABLE users (
    id            text        NOT NULL PRIMARY KEY,
    email         text        NOT NULL CONSTRAINT users_email_key UNIQUE, -- lower-cased by the account layer
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE teams (
    id         text        NOT NULL PRIMARY KEY,
    slug       text        NOT NULL CONSTRAINT teams_slug_key UNIQUE,
    name       text        NOT NULL,
    plan_tier  text        NOT NULL CHECK (plan_tier IN ('free', 'pro', 'enterprise')),
    status     text        NOT NULL CHECK (status IN ('active', 'banned')),
    created_at timestamptz NOT NULL
);

CREATE TABLE memberships (
    team_id    text        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

-- A user's teams, oldest membership first (the first is the default team).
CREATE INDEX memberships_user ON memberships (user_id, created_at);

CREATE TABLE sessions (
    digest     bytea       NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id          text        NOT NULL PRIMARY KEY,
    team_id     text        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_by  text        NOT NULL REFERENCES users (id),
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    prefix      text        NOT NULL,
    digest      bytea       NOT NULL CONSTRAINT api_keys_digest_key UNIQUE CHECK (length(digest) = 32),
    role        text        NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    revoked_at  timestamptz,
    last_used   timestamptz,
    usage_count bigint      NOT NULL DEFAULT 0
) WITH (fillfactor = 80); -- room on each page for the usage flushes' updates to stay HOT

-- Listing a team's keys newest first.
CREATE INDEX api_keys_team_created ON api_keys (team_id, created_at);
-- The foreign key to users needs its child column indexed, or deleting a
-- user scans every key.
CREATE INDEX api_keys_created_by ON api_keys (created_by);

CREATE TABLE usage_daily (
    key_id text   NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day    date   NOT NULL, -- the UTC day
    count  bigint NOT NULL,
    PRIMARY KEY (key_id, day)
);

-- The change log has no foreign keys: an entry outlives what it is about.
-- An identity never hands a number out twice; the store appends entries one
-- transaction at a time (see changes.go), so that numbers also commit in
-- order and a poller that remembers the last one it saw misses none.
CREATE TABLE changes (
    seq     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind    text        NOT NULL CONSTRAINT changes_kind_check CHECK (kind IN ('key_revoked', 'team_updated')),
    team_id text        NOT NULL,
    key_id  text        NOT NULL DEFAULT '',
    at      timestamptz NOT NULL
);
