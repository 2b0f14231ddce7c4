-- Threaded comments on any item, addressed by (item_type, item_id), e.g. ('challenge', '42').
-- Deletes are soft: deleted_at is set and the body emptied, so replies keep their parent.
CREATE TABLE comments (
    id         bigserial   PRIMARY KEY,
    item_type  text        NOT NULL,
    item_id    text        NOT NULL,
    parent_id  bigint      REFERENCES comments (id),
    author     text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at  timestamptz,
    deleted_at timestamptz
);
CREATE INDEX comments_item ON comments (item_type, item_id, id);
CREATE INDEX comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;

-- One reaction per user and emoji on a comment; item_type and item_id are copied from the comment so the discussion
-- channel's default filter can route reaction changes to the item's channel.
CREATE TABLE comment_reactions (
    comment_id bigint      NOT NULL REFERENCES comments (id),
    user_id    text        NOT NULL,
    emoji      text        NOT NULL,
    item_type  text        NOT NULL,
    item_id    text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id, emoji)
);
CREATE INDEX comment_reactions_item ON comment_reactions (item_type, item_id);

-- DELETE events then carry item_type and item_id, which the channel's default filter reads.
ALTER TABLE comments REPLICA IDENTITY FULL;
ALTER TABLE comment_reactions REPLICA IDENTITY FULL;
