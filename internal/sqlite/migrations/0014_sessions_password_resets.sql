-- 0014_sessions_password_resets: a session's public id, with the address
-- and user agent of its sign-in, so that its user can list and end it
-- (GET and DELETE /api/auth/sessions); and the one-time links of
-- `pome admin user reset-password` (docs/api.md, "Passwords").
--
-- SQLite gives an added column no default computed per row: the table is
-- rebuilt, as 0011 rebuilds api_keys, its rows copied (each gets an id
-- from the default) and its index made again. A previous release, which
-- inserts no id, gets one from the same default.
CREATE TABLE sessions_new (
    digest     BLOB    NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
    id         TEXT    NOT NULL UNIQUE DEFAULT ('ses_' || lower(hex(randomblob(8)))),
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

INSERT INTO sessions_new (digest, user_id, created_at, last_seen)
    SELECT digest, user_id, created_at, last_seen FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_id);

-- One reset per user: a new one replaces the previous (only the newest
-- link works); using one deletes it.
CREATE TABLE password_resets (
    digest     BLOB    NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
    user_id    TEXT    NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
