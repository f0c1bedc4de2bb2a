-- 0002_members_audit: the audit log, and member changes in the change log
-- (as internal/sqlite/migrations/0002_members_audit.sql).

-- The change log learns two kinds: member_updated, about one member
-- (user_id) of a team, and key_updated, a key whose expiry a roll moved.
-- PostgreSQL alters the CHECK in place; sequence numbers are untouched.
ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check
    CHECK (kind IN ('key_revoked', 'team_updated', 'member_updated', 'key_updated'));
ALTER TABLE changes ADD COLUMN user_id text NOT NULL DEFAULT '';

-- The audit log: append-only (the triggers refuse UPDATE and DELETE), no
-- foreign keys (an event outlives what it is about). seq orders it; id is
-- the event's public name.
CREATE TABLE audit_events (
    seq         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text        NOT NULL CONSTRAINT audit_events_id_key UNIQUE,
    at          timestamptz NOT NULL,
    team_id     text        NOT NULL DEFAULT '',
    actor_type  text        NOT NULL CHECK (actor_type IN ('user', 'key', 'system', 'anonymous')),
    actor_id    text        NOT NULL DEFAULT '',
    action      text        NOT NULL CHECK (action <> ''),
    target_type text        NOT NULL DEFAULT '',
    target_id   text        NOT NULL DEFAULT '',
    result      text        NOT NULL CHECK (result IN ('success', 'failure')),
    request_id  text        NOT NULL DEFAULT '',
    ip          text        NOT NULL DEFAULT '',
    user_agent  text        NOT NULL DEFAULT '',
    details     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object')
);

-- GET /api/audit: one team's events newest first, optionally by action or target.
CREATE INDEX audit_events_team ON audit_events (team_id, seq);
CREATE INDEX audit_events_team_action ON audit_events (team_id, action, seq);
CREATE INDEX audit_events_team_target ON audit_events (team_id, target_id, seq);

-- An expired key's first refused use is recorded once, whichever node sees it.
CREATE UNIQUE INDEX audit_events_key_expired_once ON audit_events (target_id)
    WHERE action = 'key.expired';

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
-- TRUNCATE skips row triggers: refuse it too.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The creator's role in the key's team is joined on every verification
-- miss; the membership primary key (team_id, user_id) already serves it.
-- RemoveMember revokes a member's keys of one team.
CREATE INDEX api_keys_team_creator ON api_keys (team_id, created_by);
