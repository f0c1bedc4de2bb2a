-- 0009_audit_token_actor: a service token may be the actor of an audit
-- event (what a platform's backend does through the platform API).
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- as 0002 made it, with the new actor type, its rows copied (seq kept, so
-- the log's order and AUTOINCREMENT's next value are unchanged), and its
-- indexes and append-only triggers made again. DROP TABLE fires no DELETE
-- trigger.
CREATE TABLE audit_events_new (
    seq         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    at          INTEGER NOT NULL,
    team_id     TEXT    NOT NULL DEFAULT '',
    actor_type  TEXT    NOT NULL CHECK (actor_type IN ('user', 'key', 'system', 'anonymous', 'service_token')),
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
INSERT INTO audit_events_new SELECT * FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;

CREATE INDEX audit_events_team ON audit_events (team_id, seq);
CREATE INDEX audit_events_team_action ON audit_events (team_id, action, seq);
CREATE INDEX audit_events_team_target ON audit_events (team_id, target_id, seq);
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
