//! The escalation list: what needs an answer, who has it, by when.
//! Escalations are opened for possible formal requests (and, with the signals stage, for
//! critical and warning signals), carry due times on a working-day calendar, and keep an
//! append-only history of who did what.

pub mod answer;
pub mod formal;
pub mod list;
pub mod open;
pub mod overdue;
pub mod state;
pub mod store;
