//! vigie: a lookout daemon for a public institution's reputation online.
//!
//! Layers, each using only those below it (checked by `scripts/layers.py`):
//! `cli` → `runtime` (with `config` and `bench`) → stages `ingest`, `classify`, `detect`,
//! `escalate`, `notify` and adapters `sources`, `web` → `store` → `core`.
//! Stages meet only in the database. See README.md for the architecture sketch.

pub mod bench;
pub mod classify;
pub mod cli;
pub mod config;
pub mod core;
pub mod detect;
pub mod escalate;
pub mod ingest;
pub mod notify;
pub mod runtime;
pub mod sources;
pub mod store;
pub mod web;
