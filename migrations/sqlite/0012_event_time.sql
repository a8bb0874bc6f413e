-- Event time (#15): an escalation's clocks start when the citizen wrote (`opened_at`, the
-- event time of its first mention or of its signal); `seen_at` is when vigie opened it.
-- Escalations opened before this were opened when seen.
ALTER TABLE escalations ADD COLUMN seen_at BIGINT;
UPDATE escalations SET seen_at = opened_at;
