-- 0012_usage_outcomes: usage counted by outcome (docs/api.md, "Usage
-- accounting"), and the client address of a key's last use.
--
-- count stays the valid verifications (usage_count sums it); each refusal of
-- a known key has a column of its own, named as its outcome, in the order
-- of pome.Outcomes, which the store's SQL follows. A day is kept when any
-- of them is non-zero. usage_pending carries them, and the address of its
-- row's last_used, to the fold; its last_used is 0 when the row holds
-- refusals only, which never move a key's last use.
--
-- Adding columns rewrites nothing: no table is rebuilt.
ALTER TABLE usage_daily ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN team_banned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN ip_not_allowed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN insufficient_permissions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN insufficient_scope INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN rate_limited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN quota_exceeded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN team_banned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN ip_not_allowed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN insufficient_permissions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN insufficient_scope INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN rate_limited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN quota_exceeded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_pending ADD COLUMN last_used_ip TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_ip TEXT;
