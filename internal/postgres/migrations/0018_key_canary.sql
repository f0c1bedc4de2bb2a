-- 0018_key_canary: a canary key is a decoy: every use answers as an unknown
-- key would and is recorded (docs/api.md, "Canary keys"). false for every
-- key made before.
ALTER TABLE api_keys ADD COLUMN canary boolean NOT NULL DEFAULT false;
