-- Personal data kept no longer than configured, and one person's data erasable on request.
-- A mention whose personal data was erased (by retention or `vigie forget`) keeps its
-- keys (hashed), so the same post is not taken again, and its classification for figures.
ALTER TABLE mentions ADD COLUMN erased_at BIGINT;
CREATE INDEX mentions_unerased ON mentions (first_seen_at) WHERE erased_at IS NULL;
-- That an erasure happened, when, of which kind and how many rows; never what was erased.
CREATE TABLE erasures (
    id   BIGSERIAL PRIMARY KEY,
    at   BIGINT NOT NULL,
    kind TEXT NOT NULL,
    row_count BIGINT NOT NULL
);
