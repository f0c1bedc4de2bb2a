-- 0015_invitations: pending invitations to join a team (docs/api.md,
-- "Invitations"), as on SQLite (internal/sqlite/migrations/0015_invitations.sql).
CREATE TABLE invitations (
    id         text        NOT NULL PRIMARY KEY,
    digest     bytea       NOT NULL UNIQUE CHECK (length(digest) = 32),
    team_id    text        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email      text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    invited_by text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    UNIQUE (team_id, email)
);
