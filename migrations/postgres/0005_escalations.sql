-- The escalation list: what needs an answer, who has it, by when; with an append-only
-- history of every change (who, when, from which state to which, note).
CREATE TABLE escalations (
    id                BIGSERIAL PRIMARY KEY,
    state             TEXT NOT NULL,
    severity          TEXT NOT NULL,
    topic             TEXT,
    reason            TEXT NOT NULL,
    opened_at         BIGINT NOT NULL,
    due_at            BIGINT NOT NULL,
    assignee          TEXT,
    formal_request    BIGINT NOT NULL DEFAULT 0,
    formal_elements   TEXT,
    ack_due_at        BIGINT,
    receipt_due_at    BIGINT,
    decision_due_at   BIGINT,
    silence_accept_at BIGINT,
    dedup_key         TEXT UNIQUE
);
CREATE INDEX escalations_state ON escalations (state, due_at);

CREATE TABLE escalation_mentions (
    escalation_id BIGINT NOT NULL REFERENCES escalations (id),
    mention_id    BIGINT NOT NULL REFERENCES mentions (id),
    PRIMARY KEY (escalation_id, mention_id)
);

CREATE TABLE escalation_events (
    id            BIGSERIAL PRIMARY KEY,
    escalation_id BIGINT NOT NULL REFERENCES escalations (id),
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    note          TEXT
);
CREATE INDEX escalation_events_of ON escalation_events (escalation_id, id);
