-- 0015_invitations: pending invitations to join a team (docs/api.md,
-- "Invitations"). Only the token's digest is stored. One invitation per
-- team and email: a new one replaces the previous (only the newest link
-- works); accepting or revoking one deletes it. invited_by has no foreign
-- key: an invitation is the team's, whoever made it.
CREATE TABLE invitations (
    id         TEXT    NOT NULL PRIMARY KEY,
    digest     BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    team_id    TEXT    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    invited_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    UNIQUE (team_id, email)
) STRICT;
