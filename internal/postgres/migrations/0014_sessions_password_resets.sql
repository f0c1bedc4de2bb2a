-- 0014_sessions_password_resets: a session's public id, with the address
-- and user agent of its sign-in, so that its user can list and end it
-- (GET and DELETE /api/auth/sessions); and the one-time links of
-- `pome admin user reset-password` (docs/api.md, "Passwords"), as on
-- SQLite (internal/sqlite/migrations/0014_sessions_password_resets.sql).
--
-- The id's default is computed per row: existing sessions get one here,
-- and a previous release, which inserts no id, gets one too.
ALTER TABLE sessions
    ADD COLUMN id         text NOT NULL DEFAULT ('ses_' || substr(md5(random()::text || clock_timestamp()::text), 1, 16)),
    ADD COLUMN ip         text NOT NULL DEFAULT '',
    ADD COLUMN user_agent text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD CONSTRAINT sessions_id_key UNIQUE (id);

-- One reset per user: a new one replaces the previous (only the newest
-- link works); using one deletes it.
CREATE TABLE password_resets (
    digest     bytea       NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
    user_id    text        NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
