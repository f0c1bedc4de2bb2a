-- 0016_portal_sessions: the one-time links of POST /v1/portal/sessions
-- (docs/api.md, "Portal sessions"), stored by the digest of their token;
-- and the platform's page a session started by one links back to.
--
-- Opening a link deletes it: a link works once. Links of a team go with it.
CREATE TABLE portal_links (
    digest     BLOB    NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
    team_id    TEXT    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    return_url TEXT    NOT NULL DEFAULT '',
    created_by TEXT    NOT NULL, -- the service token's id: the actor of what opening it does
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX portal_links_team ON portal_links (team_id);

-- A constant default: SQLite adds the column without rebuilding the table.
ALTER TABLE sessions ADD COLUMN return_url TEXT NOT NULL DEFAULT '';
