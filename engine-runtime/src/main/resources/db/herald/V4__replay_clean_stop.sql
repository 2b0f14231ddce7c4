-- Whether the engine that last used the replay store stopped cleanly (everything flushed). After a crash the tail
-- of every topic may be missing, so resumes into the previous run are answered with recovered:false.
ALTER TABLE replay_epoch ADD COLUMN clean boolean NOT NULL DEFAULT false;
