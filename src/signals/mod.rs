//! Signals: what the crisis cell must know about now. The engine (`engine.rs`) runs every
//! detector: volume spikes per topic and overall against a time-of-day / day-of-week
//! baseline, a surge of the negative share, the crisis vocabulary (outage, panne,
//! storing, phishing, ...), known false claims from the knowledge base, look-alike domains
//! and payment requests, high-reach accounts and media; and groups posts into stories.
//! A minimum count keeps three posts from ever being a crisis; one signal per episode,
//! raised again only when the episode doubles.

pub mod baseline;
pub mod bench;
pub mod crisis;
pub mod engine;
pub mod impersonation;
pub mod knowledge;
pub mod replay;
pub mod store;
pub mod stories;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A signal, as stored and as `vigie signals --json` prints it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Signal {
    /// Id (0 before it is stored).
    pub id: i64,
    /// "crisis_vocabulary", ...
    pub kind: String,
    /// "info" | "warning" | "critical".
    pub severity: String,
    /// Topic id, when the signal is about one.
    pub topic: Option<String>,
    /// Groups signals of one episode into one e-mail thread.
    pub group_key: String,
    /// Short title (the most telling post).
    pub title: String,
    /// Why it fired, with its figures.
    pub reason: String,
    /// When it fired.
    pub at: DateTime<Utc>,
    /// Evidence mention ids, most recent first.
    pub evidence: Vec<i64>,
    /// The figures behind `reason`, so e-mails can say it in the reader's language
    /// (`reason_<kind>` in the string catalogue).
    pub figures: std::collections::BTreeMap<String, String>,
}
