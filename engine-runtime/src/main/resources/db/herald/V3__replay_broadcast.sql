-- Broadcasts kept for resume when HERALD_REPLAY_STORE=postgres, so a restarted engine can still serve them.
CREATE TABLE replay_broadcast (
    private      boolean     NOT NULL,
    topic        text        NOT NULL,
    position     bigint      NOT NULL,
    message      text        NOT NULL,
    binary_body  bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (private, topic, position)
);
CREATE INDEX replay_broadcast_age ON replay_broadcast (created_at);
-- The engine's broadcast epoch survives restarts in this mode, so positions stay comparable.
CREATE TABLE replay_epoch (
    id    int PRIMARY KEY CHECK (id = 1),
    epoch text NOT NULL
);
