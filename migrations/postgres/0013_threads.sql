-- Conversations and the institution's own answers (#15). A mention knows the post it
-- answers and its thread's first post (platform references), whether it was sent to the
-- institution privately (`direct`), whether one of the institution's own accounts wrote
-- it (`own`), and whether it was first seen long after it was written (`late`, judged
-- with `[fetch] late_after` when it was stored).
ALTER TABLE mentions ADD COLUMN in_reply_to TEXT;
ALTER TABLE mentions ADD COLUMN thread TEXT;
ALTER TABLE mentions ADD COLUMN direct BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mentions ADD COLUMN own BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mentions ADD COLUMN late BIGINT NOT NULL DEFAULT 0;
-- Mentions stored before this were judged with the default lateness, two hours.
UPDATE mentions SET late = 1
 WHERE published_at IS NOT NULL AND published_at <= first_seen_at
   AND first_seen_at - published_at > 7200000;
-- The same references as stored dedup keys (hashed like them), so an answer from one of
-- the institution's accounts finds the mention it answers, whichever was seen first.
ALTER TABLE mentions ADD COLUMN reply_key TEXT;
ALTER TABLE mentions ADD COLUMN root_key TEXT;
CREATE INDEX mentions_own ON mentions (own) WHERE own = 1;
-- An answer seen on a platform names the mention that gave it (once per escalation).
ALTER TABLE escalation_answers ADD COLUMN mention_id BIGINT;
-- An escalation is late when its first mention (or signal) was seen late; NULL before this.
ALTER TABLE escalations ADD COLUMN late BIGINT;
