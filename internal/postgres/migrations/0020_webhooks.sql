-- 0020_webhooks: webhook endpoints, the outbox of their messages and the
-- log of delivery attempts (docs/api.md, "Webhooks").
--
-- team_id NULL: the endpoint receives every team's events. The secret is
-- kept as it is: signing a delivery needs it. lease_owner and lease_until
-- are the claim of the node delivering the endpoint's messages (one node
-- at a time, in order; claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE webhook_endpoints (
    id            text        NOT NULL PRIMARY KEY,
    url           text        NOT NULL,
    team_id       text        REFERENCES teams (id) ON DELETE CASCADE,
    secret        bytea       NOT NULL,
    created_at    timestamptz NOT NULL,
    failing_since timestamptz,
    lease_owner   text        NOT NULL DEFAULT '',
    lease_until   timestamptz NOT NULL DEFAULT 'epoch'
);
CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id);

-- The events an endpoint is subscribed to.
CREATE TABLE webhook_subscriptions (
    endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type  text NOT NULL,
    PRIMARY KEY (event_type, endpoint_id)
);
CREATE INDEX webhook_subscriptions_endpoint ON webhook_subscriptions (endpoint_id);

-- The outbox: one row per event per subscribed endpoint, written in the
-- transaction of the change the event records. seq orders an endpoint's
-- messages as their events committed: it is taken under the change log's
-- advisory lock. done_at is set when it was delivered or given up.
CREATE TABLE webhook_messages (
    seq         bigserial   PRIMARY KEY,
    endpoint_id text        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    payload     bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL,
    done_at     timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_messages_pending ON webhook_messages (endpoint_id, seq) WHERE done_at IS NULL;
CREATE INDEX webhook_messages_done ON webhook_messages (done_at) WHERE done_at IS NOT NULL;

-- The deliveries log: every attempt.
CREATE TABLE webhook_attempts (
    seq         bigserial   PRIMARY KEY,
    endpoint_id text        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    attempt     integer     NOT NULL,
    at          timestamptz NOT NULL,
    status      integer     NOT NULL,
    latency_us  bigint      NOT NULL,
    error       text        NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed'))
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, seq);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
