-- One row per (user, item): the unique constraint is what makes adding a bookmark twice a no-op.
CREATE TABLE bookmarks (
    id         bigserial PRIMARY KEY,
    user_id    text        NOT NULL,
    item_type  text        NOT NULL CHECK (item_type IN ('challenge', 'idea', 'event', 'opportunity', 'partner')),
    item_id    text        NOT NULL CHECK (length(item_id) BETWEEN 1 AND 128),
    note       text        CHECK (note IS NULL OR length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bookmarks_user_item UNIQUE (user_id, item_type, item_id)
);
CREATE INDEX bookmarks_user_created ON bookmarks (user_id, created_at DESC);
-- DELETE events then carry user_id, which the row policy and the channel's default filter read.
ALTER TABLE bookmarks REPLICA IDENTITY FULL;
