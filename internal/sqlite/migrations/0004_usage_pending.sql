-- 0004_usage_pending: usage counts written by a flush but not yet folded into
-- api_keys (usage_count, last_used) and usage_daily.
--
-- A flush that updated api_keys and usage_daily directly wrote one row of
-- each per key used: with many keys in use, every key dirtied its own page of
-- both tables, and a second's flush of 9,000 keys took about half a second
-- (BENCHMARKS.md). A flush now adds to this narrow table only, whose rows sit
-- close together, and each flush also folds a slice of it (by key id, a sweep
-- of about a minute) into the totals, so a key's many flushes of that minute
-- become one write of its api_keys row. Reads add the rows not yet folded.
--
-- No foreign key: a flush then never looks a key up. The rows of a key that
-- is gone are dropped when their slice is folded, and no read can reach them
-- meanwhile.
CREATE TABLE usage_pending (
    key_id    TEXT    NOT NULL,
    day       INTEGER NOT NULL, -- midnight UTC, unix milliseconds
    count     INTEGER NOT NULL,
    last_used INTEGER NOT NULL,
    PRIMARY KEY (key_id, day)
) STRICT, WITHOUT ROWID;
