-- Hosts the sources call (#17): requests sent and rate limits met, and until when a
-- host asked us to wait (429/503 Retry-After, or a spent limit), so that the wait holds
-- every source of that host, across restarts and `--once` runs.
CREATE TABLE hosts (
    host         TEXT PRIMARY KEY,
    requests     BIGINT NOT NULL DEFAULT 0,
    rate_limited BIGINT NOT NULL DEFAULT 0,
    wait_until   BIGINT,
    wait_since   BIGINT
);
-- Pages a source left unread because `max_pages` stopped a poll while the API had more.
ALTER TABLE source_state ADD COLUMN pages_left_behind BIGINT NOT NULL DEFAULT 0;
