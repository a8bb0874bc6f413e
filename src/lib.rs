//! vigie: a lookout daemon for a public institution's reputation online.
//!
//! Data flows one way: `sources` → `pipeline` → `classify` → `signals` → `notify`,
//! with `store` underneath. See README.md for the architecture sketch.

pub mod app;
pub mod bench;
pub mod classify;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod escalation;
pub mod matching;
pub mod model;
pub mod notify;
pub mod pipeline;
pub mod signals;
pub mod sources;
pub mod store;
pub mod text;
pub mod web;
