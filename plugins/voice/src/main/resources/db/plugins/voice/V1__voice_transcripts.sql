-- Completed transcript segments of relayed voice sessions: what the user said (input transcription) and what the
-- assistant said (output transcript). Published, so subscribers get them as postgres_changes; the row policy
-- user_id = sub keeps each user to their own.
CREATE TABLE voice_transcripts (
    id          bigserial   PRIMARY KEY,
    user_id     text        NOT NULL,
    session_id  text        NOT NULL,
    role        text        NOT NULL CHECK (role IN ('user', 'assistant')),
    item_id     text,
    text        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voice_transcripts_user_created ON voice_transcripts (user_id, created_at);
CREATE INDEX voice_transcripts_session ON voice_transcripts (session_id, id);
-- DELETE events then carry user_id, which the row policy and the channel's default filter read.
ALTER TABLE voice_transcripts REPLICA IDENTITY FULL;
