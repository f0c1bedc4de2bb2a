-- 0010_key_lifetime: how long a key lives from its creation, which a roll
-- gives its replacement (as internal/sqlite/migrations/0010_key_lifetime.sql).
--
-- Milliseconds; 0 for a key that never expires. Keys made before are given
-- their expiry's distance from their creation.
ALTER TABLE api_keys ADD COLUMN lifetime_ms bigint NOT NULL DEFAULT 0 CHECK (lifetime_ms >= 0);
UPDATE api_keys SET lifetime_ms = greatest((extract(epoch FROM expires_at - created_at) * 1000)::bigint, 0)
WHERE expires_at IS NOT NULL;
