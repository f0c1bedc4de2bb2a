-- 0013_credits: a key's credits (docs/api.md, "Credits") and the leases
-- nodes hold on them (internal/credits), as on SQLite
-- (internal/sqlite/migrations/0013_credits.sql).
--
-- credits_remaining NULL is unlimited. It counts what the nodes hold
-- (credit_leases.held) as not yet spent; a node reports what it spent when
-- it settles. credits_period is the start of the refill period the balance
-- belongs to (NULL without a refill).
ALTER TABLE api_keys
    ADD COLUMN credits_remaining       bigint CHECK (credits_remaining >= 0),
    ADD COLUMN credits_refill_interval text   CHECK (credits_refill_interval IN ('daily', 'monthly')),
    ADD COLUMN credits_refill_amount   bigint CHECK (credits_refill_amount >= 0),
    ADD COLUMN credits_period          timestamptz;

-- A node's lease on a key: held of the key's credits, of which it may spend
-- armed before it settles again. An expired lease is the lease of a node
-- that died: armed counts as spent, the rest of held returns.
CREATE TABLE credit_leases (
    key_id     text        NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    node_id    text        NOT NULL,
    held       bigint      NOT NULL CHECK (held > 0),
    armed      bigint      NOT NULL CHECK (armed >= 0 AND armed <= held),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (key_id, node_id)
);
CREATE INDEX credit_leases_expiry ON credit_leases (expires_at);
