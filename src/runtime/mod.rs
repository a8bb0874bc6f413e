//! Runtime: builds the stages from the config, spawns their tasks, owns the clock and
//! passes shutdown down.

pub mod replay;
