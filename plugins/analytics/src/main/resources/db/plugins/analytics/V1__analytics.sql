-- Raw events, one row each, written by one multi-row insert per accepted batch (and per usage flush).
CREATE TABLE analytics_events (
    id          bigserial   PRIMARY KEY,
    event_type  text        NOT NULL,
    user_id     text,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    properties  jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX analytics_events_type_time ON analytics_events (event_type, occurred_at);

-- Per-minute counts per metric (an event type), added to by periodic flushes of the in-memory counts.
CREATE TABLE analytics_rollups (
    minute timestamptz NOT NULL,
    metric text        NOT NULL,
    count  bigint      NOT NULL,
    PRIMARY KEY (minute, metric)
);
