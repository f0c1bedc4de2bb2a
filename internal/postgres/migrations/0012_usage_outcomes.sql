-- 0012_usage_outcomes: usage counted by outcome (docs/api.md, "Usage
-- accounting"), the client address of a key's last use, and usage_pending,
-- which a flush appends to instead of updating every key's rows.
--
-- usage_daily: count stays the valid verifications (usage_count sums it);
-- each refusal of a known key has a column of its own, named as its
-- outcome, in the order of pome.Outcomes. A day is kept when any of them is
-- non-zero.
--
-- usage_pending (as on SQLite since 0004, see internal/postgres/usage.go):
-- a flush of 50,000 keys that updated api_keys and usage_daily in place
-- took 1.2-1.9 s (docs/performance.md, "Usage flushes"): an UPDATE of the
-- wide, much-indexed api_keys row and an upsert with a foreign-key check
-- per key. A flush now appends its rows here, one INSERT whatever the
-- number of keys, taking no lock on any existing row, so flushes of several
-- nodes never wait for or deadlock with one another. CompactUsage folds
-- the rows into the totals a slot at a time: slot is a hash of the key id
-- (its last character), so a fold finds a slice of keys through the index
-- and a key's many flushes of a sweep become one write of its rows. No
-- foreign key and no primary key: rows of a key that is gone are dropped
-- by the fold, and no read reaches them meanwhile. last_used is NULL when
-- a row holds refusals only.
ALTER TABLE usage_daily
    ADD COLUMN revoked bigint NOT NULL DEFAULT 0,
    ADD COLUMN expired bigint NOT NULL DEFAULT 0,
    ADD COLUMN team_banned bigint NOT NULL DEFAULT 0,
    ADD COLUMN disabled bigint NOT NULL DEFAULT 0,
    ADD COLUMN ip_not_allowed bigint NOT NULL DEFAULT 0,
    ADD COLUMN insufficient_permissions bigint NOT NULL DEFAULT 0,
    ADD COLUMN insufficient_scope bigint NOT NULL DEFAULT 0,
    ADD COLUMN rate_limited bigint NOT NULL DEFAULT 0,
    ADD COLUMN quota_exceeded bigint NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN last_used_ip text;

CREATE TABLE usage_pending (
    key_id                   text        NOT NULL,
    slot                     smallint    NOT NULL GENERATED ALWAYS AS (ascii(right(key_id, 1)) % 64) STORED,
    day                      date        NOT NULL,
    count                    bigint      NOT NULL,
    revoked                  bigint      NOT NULL,
    expired                  bigint      NOT NULL,
    team_banned              bigint      NOT NULL,
    disabled                 bigint      NOT NULL,
    ip_not_allowed           bigint      NOT NULL,
    insufficient_permissions bigint      NOT NULL,
    insufficient_scope       bigint      NOT NULL,
    rate_limited             bigint      NOT NULL,
    quota_exceeded           bigint      NOT NULL,
    last_used                timestamptz,
    last_used_ip             text
);
CREATE INDEX usage_pending_slot_key ON usage_pending (slot, key_id);
