-- Stories: each mention's story (the id of the story's first mention) and the SimHash
-- fingerprint that assigned it.
ALTER TABLE mentions ADD COLUMN story_id BIGINT;
ALTER TABLE mentions ADD COLUMN simhash BIGINT;
CREATE INDEX mentions_story ON mentions (story_id);
