-- 0009_audit_token_actor: a service token may be the actor of an audit
-- event (what a platform's backend does through the platform API), as
-- internal/sqlite/migrations/0009_audit_token_actor.sql. Adding the
-- constraint reads the rows; it writes none, so the append-only triggers
-- do not fire.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_type_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_type_check
    CHECK (actor_type IN ('user', 'key', 'system', 'anonymous', 'service_token'));
