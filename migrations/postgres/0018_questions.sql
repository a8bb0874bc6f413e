-- Whether a mention asks something (#18): a question mark or a question's opening words
-- in fr/nl/en/de. The recurring questions are grouped from these.
ALTER TABLE mentions ADD COLUMN question BIGINT NOT NULL DEFAULT 0;
CREATE INDEX mentions_questions ON mentions (question, first_seen_at);
