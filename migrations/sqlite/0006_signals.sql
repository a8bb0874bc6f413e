-- Signals raised, and the episode state that keeps one signal per episode.
CREATE TABLE signals (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    severity  TEXT NOT NULL,
    topic     TEXT,
    group_key TEXT NOT NULL,
    title     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        BIGINT NOT NULL,
    evidence  TEXT NOT NULL,
    figures   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX signals_at ON signals (at);

CREATE TABLE signal_episodes (
    group_key    TEXT PRIMARY KEY,
    raised_count BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    open         BIGINT NOT NULL
);
