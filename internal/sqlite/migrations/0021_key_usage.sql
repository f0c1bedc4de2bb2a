-- 0021_key_usage: a key's folded usage (usage_count, last_used and its
-- address) moves out of api_keys into a narrow table of its own, in key id
-- order.
--
-- The usage sweep (usage.go) folds a range of key ids a second. In api_keys,
-- a rowid table whose rows lie in the order keys were made, those keys sit
-- on a page each, so every fold rewrote a page of the wide key rows per key
-- it folded, read most of them back from the file, and sent them through
-- the WAL twice (the commit, then the checkpoint). Here a range of ids is a
-- run of neighbouring pages, about 60 keys a page: a fold costs a quarter of
-- what it did (BenchmarkAddUsage, docs/performance.md "The usage fold").
--
-- A key without a row has no folded usage: count 0, never used.
CREATE TABLE key_usage (
    key_id       TEXT    NOT NULL PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    usage_count  INTEGER NOT NULL DEFAULT 0,
    last_used    INTEGER,
    last_used_ip TEXT
) STRICT, WITHOUT ROWID;

INSERT INTO key_usage (key_id, usage_count, last_used, last_used_ip)
    SELECT id, usage_count, last_used, last_used_ip FROM api_keys
    WHERE usage_count <> 0 OR last_used IS NOT NULL OR last_used_ip IS NOT NULL
    ORDER BY id;

ALTER TABLE api_keys DROP COLUMN usage_count;
ALTER TABLE api_keys DROP COLUMN last_used;
ALTER TABLE api_keys DROP COLUMN last_used_ip;
