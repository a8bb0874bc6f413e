-- The web page: people who log in, their sessions, and the answers they record.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language      TEXT NOT NULL DEFAULT 'en',
    created_at    BIGINT NOT NULL
);

-- Only a hash of the session token is kept: a leaked database opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Who answered what, where: the proof the crisis cell needs.
CREATE TABLE escalation_answers (
    id            BIGSERIAL PRIMARY KEY,
    escalation_id BIGINT NOT NULL REFERENCES escalations (id),
    at            BIGINT NOT NULL,
    by_whom       TEXT NOT NULL,
    channel       TEXT,
    body          TEXT,
    link          TEXT
);
CREATE INDEX escalation_answers_of ON escalation_answers (escalation_id, at);
CREATE INDEX escalation_mentions_mention ON escalation_mentions (mention_id);
