-- 0017_key_replaced_by: the key a roll minted in a key's place, so that the
-- old key, still working through its grace, can say which key replaces it
-- (docs/api.md, "Rolling a key": replaced_by). '' for a key never rolled.
ALTER TABLE api_keys ADD COLUMN replaced_by text NOT NULL DEFAULT '';
