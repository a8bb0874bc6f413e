-- Alert grouping state (Alertmanager-like): one row per recipient and group (a story,
-- or a signal kind and topic), so restarts neither resend nor forget.
CREATE TABLE alert_groups (
    recipient      TEXT NOT NULL,
    group_key      TEXT NOT NULL,
    last_sent_at   BIGINT NOT NULL,
    last_signal_id BIGINT NOT NULL,
    sent_count     BIGINT NOT NULL DEFAULT 0,
    held           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (recipient, group_key)
);
