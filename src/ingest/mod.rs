//! Ingest: polls the sources on their schedules and stores what mentions the institution.

mod health;
mod hosts;
mod schedule;
pub mod watcher;
