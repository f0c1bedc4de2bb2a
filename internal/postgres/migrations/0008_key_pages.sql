-- 0008_key_pages: GET /api/keys pages by keyset, newest first, as on SQLite
-- (internal/sqlite/migrations/0008_key_pages.sql).
--
-- A page is `(created_at, id) < (cursor) ORDER BY created_at DESC, id DESC
-- LIMIT n`: a range of an index that ends in (created_at, id) costs the
-- same at any depth. The index on (team_id, created_at) left keys created
-- in the same instant to a sort, and a developer's listing (their own
-- keys) walked every key of the team; these two serve the team's listing
-- and a creator's. Each starts as its predecessor did, so every other
-- query keeps its index. Only indexes change: the previous release runs on
-- this schema.
CREATE INDEX api_keys_team_page ON api_keys (team_id, created_at, id);
CREATE INDEX api_keys_team_creator_page ON api_keys (team_id, created_by, created_at, id);
DROP INDEX api_keys_team_created;
DROP INDEX api_keys_team_creator;
