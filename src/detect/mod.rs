//! Signals: what the crisis cell must know about now. The engine (`engine.rs`) runs every
//! detector: volume spikes per topic and overall against a time-of-day / day-of-week
//! baseline, a surge of the negative share, the crisis vocabulary (outage, panne,
//! storing, phishing, ...), known false claims from the knowledge base, look-alike domains
//! and payment requests, high-reach accounts and media; and groups posts into stories.
//! A minimum count keeps three posts from ever being a crisis; one signal per episode,
//! raised again only when the episode doubles.

pub mod baseline;
pub mod crisis;
pub mod engine;
pub mod impersonation;
pub mod knowledge;
pub mod questions;
pub mod stage;
pub mod stories;

pub use crate::core::signal::Signal;
