-- Watch loop: source polling state and mentions with their dedup keys.
-- Times are Unix milliseconds (UTC) in both backends.
CREATE TABLE source_state (
    name            TEXT PRIMARY KEY,
    etag            TEXT,
    last_modified   TEXT,
    next_check_at   BIGINT,
    error_count     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_error_at   BIGINT,
    last_success_at BIGINT,
    retry_after     BIGINT
);

CREATE TABLE mentions (
    id              BIGSERIAL PRIMARY KEY,
    source          TEXT NOT NULL,
    url             TEXT,
    title           TEXT NOT NULL,
    text            TEXT NOT NULL,
    author          TEXT,
    reach           BIGINT,
    published_at    BIGINT,
    first_seen_at   BIGINT NOT NULL,
    lang            TEXT NOT NULL,
    lang_confidence DOUBLE PRECISION NOT NULL,
    matched         TEXT NOT NULL,
    sentiment       TEXT,
    sentiment_score DOUBLE PRECISION,
    topics          TEXT,
    model           TEXT,
    classified_at   BIGINT
);
CREATE INDEX mentions_first_seen ON mentions (first_seen_at);
CREATE INDEX mentions_unclassified ON mentions (id) WHERE classified_at IS NULL;

CREATE TABLE mention_keys (
    key        TEXT PRIMARY KEY,
    mention_id BIGINT NOT NULL REFERENCES mentions (id)
);
CREATE INDEX mention_keys_mention ON mention_keys (mention_id);

CREATE TABLE mention_sources (
    mention_id BIGINT NOT NULL REFERENCES mentions (id),
    source     TEXT NOT NULL,
    seen_at    BIGINT NOT NULL,
    PRIMARY KEY (mention_id, source)
);
