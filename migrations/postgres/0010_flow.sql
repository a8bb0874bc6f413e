-- One flow of durable stages: each stage marks what it has done in the same transaction
-- as what it wrote, so a crash between two stages loses nothing and repeats nothing.
-- Escalate: mentions (formal requests, questions to the institution) and signals it has seen.
ALTER TABLE mentions ADD COLUMN escalated_at BIGINT;
ALTER TABLE signals ADD COLUMN escalated_at BIGINT;
-- Before this, classification opened mention escalations and the signal round opened
-- signal escalations at once: everything already there has been escalated.
UPDATE mentions SET escalated_at = classified_at WHERE classified_at IS NOT NULL;
UPDATE signals SET escalated_at = at;
CREATE INDEX mentions_unescalated ON mentions (id) WHERE escalated_at IS NULL;
CREATE INDEX signals_unescalated ON signals (id) WHERE escalated_at IS NULL;
-- Detect: a classified mention without a story has not been seen by detection yet.
CREATE INDEX mentions_undetected ON mentions (id) WHERE story_id IS NULL;
