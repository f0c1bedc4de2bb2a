-- 0011_key_policies: the policies a key carries (docs/api.md, "Key
-- policies"), and keys made by the platform API, whose creator is a service
-- token (created_by holds its stk_ id) rather than a user: the foreign key
-- to users goes, and with it the index that served it (the page indexes
-- of 0008 lead with team_id, as every query by creator does).
--
-- As on SQLite (internal/sqlite/migrations/0011_key_policies.sql): scopes
-- and allowed_cidrs are space-separated lists; meta is a compact JSON
-- object kept as text, as the caller wrote it; rate_limit and
-- rate_window_ms are both set or both NULL (the team plan's limit).
ALTER TABLE api_keys DROP CONSTRAINT api_keys_created_by_fkey;
DROP INDEX api_keys_created_by;
ALTER TABLE api_keys
    ADD COLUMN test_mode      boolean NOT NULL DEFAULT false,
    ADD COLUMN enabled        boolean NOT NULL DEFAULT true,
    ADD COLUMN scopes         text    NOT NULL DEFAULT '',
    ADD COLUMN meta           text    NOT NULL DEFAULT '{}' CHECK (meta::jsonb IS NOT NULL),
    ADD COLUMN rate_limit     integer CHECK (rate_limit > 0),
    ADD COLUMN rate_window_ms bigint  CHECK (rate_window_ms > 0),
    ADD COLUMN allowed_cidrs  text    NOT NULL DEFAULT '',
    ADD CONSTRAINT api_keys_rate_limit_whole CHECK ((rate_limit IS NULL) = (rate_window_ms IS NULL));
