//! The escalation list: what needs an answer, who has it, by when.
//! For now its clock: the working-day calendar that due times are computed on.

pub mod calendar;
pub mod formal;
