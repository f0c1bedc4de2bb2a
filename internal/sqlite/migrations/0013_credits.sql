-- 0013_credits: a key's credits (docs/api.md, "Credits") and the leases
-- nodes hold on them (internal/credits).
--
-- credits_remaining NULL is unlimited. It counts what the nodes hold
-- (credit_leases.held) as not yet spent; a node reports what it spent when
-- it settles. credits_period is the start of the refill period the balance
-- belongs to (milliseconds; NULL without a refill).
ALTER TABLE api_keys ADD COLUMN credits_remaining INTEGER CHECK (credits_remaining >= 0);
ALTER TABLE api_keys ADD COLUMN credits_refill_interval TEXT
    CHECK (credits_refill_interval IN ('daily', 'monthly'));
ALTER TABLE api_keys ADD COLUMN credits_refill_amount INTEGER CHECK (credits_refill_amount >= 0);
ALTER TABLE api_keys ADD COLUMN credits_period INTEGER;

-- A node's lease on a key: held of the key's credits, of which it may spend
-- armed before it settles again. An expired lease is the lease of a node
-- that died: armed counts as spent, the rest of held returns.
CREATE TABLE credit_leases (
    key_id     TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    node_id    TEXT    NOT NULL,
    held       INTEGER NOT NULL CHECK (held > 0),
    armed      INTEGER NOT NULL CHECK (armed >= 0 AND armed <= held),
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, node_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX credit_leases_expiry ON credit_leases (expires_at);
