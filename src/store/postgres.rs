//! PostgreSQL specifics. Several vigie instances may share one database: claims use
//! `FOR UPDATE SKIP LOCKED`, and unique keys arbitrate concurrent inserts.

/// Run on every new connection.
pub const SETUP: &[&str] = &["SET TIME ZONE 'UTC'"];
