//! Core: plain model types and pure logic every layer may use (text, matching, dedup keys,
//! language, calendars, secrets). Nothing here touches the database or the network.

pub mod calendar;
pub mod classification;
pub mod clock;
pub mod config;
pub mod dedup;
pub mod escalation;
pub mod language;
pub mod matching;
pub mod model;
pub mod pipeline;
pub mod privacy;
pub mod question;
pub mod response;
pub mod role;
pub mod secret;
pub mod signal;
pub mod text;
