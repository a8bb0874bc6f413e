-- Where a paged or streamed source got to (newest id, time, stream position), so the
-- next poll asks only for what is newer and misses nothing in between.
ALTER TABLE source_state ADD COLUMN cursor TEXT;
