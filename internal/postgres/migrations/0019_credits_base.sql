-- 0019_credits_base: what a key's credits.low threshold is 10 % of
-- (pome.Credits.Base), as on SQLite
-- (internal/sqlite/migrations/0019_credits_base.sql): the last refill's
-- amount, or the credits_remaining last set or raised to; 0 for a key
-- without credits. A key metered before it takes the larger of its
-- refill's amount and what it has left: the best guess of what it was last
-- given.
ALTER TABLE api_keys ADD COLUMN credits_base bigint NOT NULL DEFAULT 0 CHECK (credits_base >= 0);
UPDATE api_keys SET credits_base = greatest(credits_remaining, credits_refill_amount)
    WHERE credits_remaining IS NOT NULL;
