-- One-time work done on a database (e.g. hashing the dedup keys written before 0011), so
-- that a start does not look for it again.
CREATE TABLE store_flags (
    name TEXT PRIMARY KEY,
    at   BIGINT NOT NULL
);
