-- Transactional outbox: every e-mail is written here first (in the transaction of what
-- caused it), then claimed with a lease by the sender and marked sent or dead.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    dedup_key       TEXT UNIQUE,
    kind            TEXT NOT NULL,
    to_name         TEXT NOT NULL,
    to_email        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    inline_png      BYTEA,
    created_at      BIGINT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
