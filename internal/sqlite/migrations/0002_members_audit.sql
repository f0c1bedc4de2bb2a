-- 0002_members_audit: the audit log, and member changes in the change log.

-- The change log learns two kinds: member_updated, about one member
-- (user_id) of a team, and key_updated, a key whose expiry a roll moved. SQLite cannot alter a CHECK constraint, so the table
-- is rebuilt: keeping the CHECK keeps a typo in a kind from being stored and
-- then ignored by every poller. Sequence numbers are kept, and so is the
-- AUTOINCREMENT counter, so that no number is ever reused.
CREATE TABLE changes_new (
    seq     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind    TEXT    NOT NULL CHECK (kind IN ('key_revoked', 'team_updated', 'member_updated', 'key_updated')),
    team_id TEXT    NOT NULL,
    key_id  TEXT    NOT NULL DEFAULT '',
    user_id TEXT    NOT NULL DEFAULT '',
    at      INTEGER NOT NULL
) STRICT;

INSERT INTO changes_new (seq, kind, team_id, key_id, at)
    SELECT seq, kind, team_id, key_id, at FROM changes;

DELETE FROM sqlite_sequence WHERE name = 'changes_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'changes_new', seq FROM sqlite_sequence WHERE name = 'changes';

DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;

-- The audit log: append-only (the triggers refuse UPDATE and DELETE), no
-- foreign keys (an event outlives what it is about). seq orders it; id is
-- the event's public name.
CREATE TABLE audit_events (
    seq         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    at          INTEGER NOT NULL,
    team_id     TEXT    NOT NULL DEFAULT '',
    actor_type  TEXT    NOT NULL CHECK (actor_type IN ('user', 'key', 'system', 'anonymous')),
    actor_id    TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL CHECK (action <> ''),
    target_type TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    result      TEXT    NOT NULL CHECK (result IN ('success', 'failure')),
    request_id  TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    details     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(details))
) STRICT;

-- GET /api/audit: one team's events newest first, optionally by action or target.
CREATE INDEX audit_events_team ON audit_events (team_id, seq);
CREATE INDEX audit_events_team_action ON audit_events (team_id, action, seq);
CREATE INDEX audit_events_team_target ON audit_events (team_id, target_id, seq);

-- An expired key's first refused use is recorded once, whichever node sees it.
CREATE UNIQUE INDEX audit_events_key_expired_once ON audit_events (target_id)
    WHERE action = 'key.expired';

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- The creator's role in the key's team is joined on every verification
-- miss; the membership primary key (team_id, user_id) already serves it.
-- RemoveMember revokes a member's keys of one team.
CREATE INDEX api_keys_team_creator ON api_keys (team_id, created_by);
