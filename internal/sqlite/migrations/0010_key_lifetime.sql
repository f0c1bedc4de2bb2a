-- 0010_key_lifetime: how long a key lives from its creation, which a roll
-- gives its replacement.
--
-- Milliseconds; 0 for a key that never expires. A key's expiry alone cannot
-- say it: a roll shortens the old key's expiry to the grace, and a second
-- roll of it would then give the replacement the grace for a lifetime.
-- Keys made before are given their expiry's distance from their creation
-- (an old key in the grace of a roll made before gets the grace).
ALTER TABLE api_keys ADD COLUMN lifetime_ms INTEGER NOT NULL DEFAULT 0 CHECK (lifetime_ms >= 0);
UPDATE api_keys SET lifetime_ms = max(expires_at - created_at, 0) WHERE expires_at IS NOT NULL;
