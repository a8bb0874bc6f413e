-- Approved answers written on the page from a group of recurring questions (#18): the
-- group's questions as the entry's examples, the answer per language. Read with the
-- knowledge file's entries wherever answers are suggested. Every change is kept.
CREATE TABLE knowledge_entries (
    id          TEXT PRIMARY KEY,
    examples    TEXT NOT NULL,
    answers     TEXT NOT NULL,
    url         TEXT,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE knowledge_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id  TEXT NOT NULL,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    answers   TEXT NOT NULL
);
CREATE INDEX knowledge_events_of ON knowledge_events (entry_id, id);
