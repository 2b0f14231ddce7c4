CREATE TABLE challenges (
    id          bigserial PRIMARY KEY,
    created_by  text        NOT NULL,
    title       text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text        NOT NULL DEFAULT '',
    -- The parts of the challenge text collaborators edit; presence metas name one of them.
    sections    text[]      NOT NULL DEFAULT '{}',
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX challenges_created_by ON challenges (created_by);

CREATE TABLE challenge_submissions (
    id           bigserial PRIMARY KEY,
    challenge_id bigint      NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    submitted_by text        NOT NULL,
    content      text        NOT NULL CHECK (length(content) BETWEEN 1 AND 20000),
    status       text        NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'accepted', 'rejected')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    reviewed_at  timestamptz
);
CREATE INDEX challenge_submissions_challenge ON challenge_submissions (challenge_id, id);

CREATE TABLE challenge_notifications (
    id            bigserial PRIMARY KEY,
    user_id       text        NOT NULL,
    challenge_id  bigint      NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    submission_id bigint      REFERENCES challenge_submissions (id) ON DELETE CASCADE,
    kind          text        NOT NULL CHECK (kind IN ('submission_received', 'submission_reviewed')),
    message       text        NOT NULL,
    read_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX challenge_notifications_user ON challenge_notifications (user_id, id DESC);

-- DELETE events then carry challenge_id / user_id, which the default filters and the row policy read.
ALTER TABLE challenges REPLICA IDENTITY FULL;
ALTER TABLE challenge_submissions REPLICA IDENTITY FULL;
ALTER TABLE challenge_notifications REPLICA IDENTITY FULL;
