-- The last change position a cleanly stopped engine had handed out: the next start knows its change log is complete
-- from there, so clients that resume from that position are served.
CREATE TABLE cdc_state (
    id            int PRIMARY KEY CHECK (id = 1),
    last_position text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
