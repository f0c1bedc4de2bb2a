-- 0018_key_canary: a canary key is a decoy: every use answers as an unknown
-- key would and is recorded (docs/api.md, "Canary keys"). 0 for every key
-- made before.
ALTER TABLE api_keys ADD COLUMN canary INTEGER NOT NULL DEFAULT 0 CHECK (canary IN (0, 1));
