-- participant_count is maintained by the plugin inside each join/leave transaction (under the event's row lock), so
-- it always equals the number of event_participants rows; the CHECKs are the last line against over-booking.
CREATE TABLE events (
    id                bigserial PRIMARY KEY,
    created_by        text        NOT NULL,
    title             text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       text        NOT NULL DEFAULT '',
    starts_at         timestamptz,
    capacity          integer     NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    participant_count integer     NOT NULL DEFAULT 0 CHECK (participant_count >= 0 AND participant_count <= capacity),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created_by ON events (created_by);

CREATE TABLE event_participants (
    event_id  bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id   text        NOT NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_participants_user ON event_participants (user_id);

-- UPDATE and DELETE events then carry the whole old row: the count hook compares old and new participant_count,
-- and the event_id=eq.{id} default filter can match a participant's DELETE.
ALTER TABLE events REPLICA IDENTITY FULL;
ALTER TABLE event_participants REPLICA IDENTITY FULL;
