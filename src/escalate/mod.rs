//! The escalation list: what needs an answer, who has it, by when.
//! The escalate stage opens escalations for possible formal requests, questions and
//! complaints addressed to the institution, and warning and critical signals; they carry
//! due times on a working-day calendar and an append-only history of who did what.

pub mod answer;
pub mod config;
pub mod eval;
pub mod formal;
pub mod list;
pub mod open;
pub mod overdue;
pub mod seen;
pub mod stage;

pub use crate::core::escalation as state;
pub use config::EscalationConfig;
