-- Unqualified names land in the schema the plugin declares (public).
CREATE TABLE notes (
    id         bigserial PRIMARY KEY,
    owner      text        NOT NULL,
    topic      text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_owner_topic ON notes (owner, topic);
-- DELETE events then carry owner and topic, which the row policy and the default filter read.
ALTER TABLE notes REPLICA IDENTITY FULL;
