-- 0005_key_issued_to: who received a key's plaintext, when not its creator.
--
-- A roll keeps the key's creator, but its plaintext goes to whoever rolled
-- it: an admin who rolls a colleague's key holds the new one. Removing a
-- member revokes the keys they were issued as well as those they created.
-- Empty when the creator received it, so that no existing row is rewritten
-- and the previous release, which does not know the column, still inserts
-- keys.
ALTER TABLE api_keys ADD COLUMN issued_to TEXT NOT NULL DEFAULT '';

-- Keys rolled by another member before this version: the audit log names
-- who rolled them.
UPDATE api_keys SET issued_to = r.actor_id
FROM (SELECT actor_id, json_extract(details, '$.new_key_id') AS key_id
      FROM audit_events WHERE action = 'key.rolled' AND actor_type = 'user') AS r
WHERE api_keys.id = r.key_id AND api_keys.created_by <> r.actor_id;

-- Member removal finds them; most keys have none.
CREATE INDEX api_keys_issued_to ON api_keys (issued_to) WHERE issued_to <> '';
