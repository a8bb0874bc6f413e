-- Reactions to a post (#17) as the platform last counted them: likes (favourites,
-- upvotes), reposts (reblogs), replies, quotes and views; NULL where it does not say.
-- Refreshed when a later poll returns the post again, with the time they were read.
ALTER TABLE mentions ADD COLUMN likes BIGINT;
ALTER TABLE mentions ADD COLUMN reposts BIGINT;
ALTER TABLE mentions ADD COLUMN replies BIGINT;
ALTER TABLE mentions ADD COLUMN quotes BIGINT;
ALTER TABLE mentions ADD COLUMN views BIGINT;
ALTER TABLE mentions ADD COLUMN engagement_at BIGINT;
