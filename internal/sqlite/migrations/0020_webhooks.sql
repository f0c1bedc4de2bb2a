-- 0020_webhooks: webhook endpoints, the outbox of their messages and the
-- log of delivery attempts (docs/api.md, "Webhooks").
--
-- team_id NULL: the endpoint receives every team's events. The secret is
-- kept as it is: signing a delivery needs it. lease_owner and lease_until
-- are the claim of the node delivering the endpoint's messages (one node
-- at a time, in order).
CREATE TABLE webhook_endpoints (
    id            TEXT    NOT NULL PRIMARY KEY,
    url           TEXT    NOT NULL,
    team_id       TEXT    REFERENCES teams (id) ON DELETE CASCADE,
    secret        BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    failing_since INTEGER,
    lease_owner   TEXT    NOT NULL DEFAULT '',
    lease_until   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id);

-- The events an endpoint is subscribed to.
CREATE TABLE webhook_subscriptions (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    PRIMARY KEY (event_type, endpoint_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX webhook_subscriptions_endpoint ON webhook_subscriptions (endpoint_id);

-- The outbox: one row per event per subscribed endpoint, written in the
-- transaction of the change the event records. seq orders an endpoint's
-- messages as their events committed (one writer). done_at is set when it
-- was delivered or given up.
CREATE TABLE webhook_messages (
    seq         INTEGER PRIMARY KEY,
    endpoint_id TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    payload     BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    done_at     INTEGER,
    UNIQUE (endpoint_id, event_id)
) STRICT;
CREATE INDEX webhook_messages_pending ON webhook_messages (endpoint_id, seq) WHERE done_at IS NULL;
CREATE INDEX webhook_messages_done ON webhook_messages (done_at) WHERE done_at IS NOT NULL;

-- The deliveries log: every attempt.
CREATE TABLE webhook_attempts (
    seq         INTEGER PRIMARY KEY,
    endpoint_id TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed'))
) STRICT;
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, seq);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
