-- 0016_portal_sessions: the one-time links of POST /v1/portal/sessions
-- (docs/api.md, "Portal sessions"), stored by the digest of their token;
-- and the platform's page a session started by one links back to, as on
-- SQLite (internal/sqlite/migrations/0016_portal_sessions.sql).
--
-- Opening a link deletes it: a link works once. Links of a team go with it.
CREATE TABLE portal_links (
    digest     bytea       NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
    team_id    text        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email      text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    return_url text        NOT NULL DEFAULT '',
    created_by text        NOT NULL, -- the service token's id: the actor of what opening it does
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX portal_links_team ON portal_links (team_id);

ALTER TABLE sessions ADD COLUMN return_url text NOT NULL DEFAULT '';
