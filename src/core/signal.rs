//! Signals: what the crisis cell must know about now, with their severity.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Severity of a signal, ordered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize, Hash,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Digest only by default.
    Info,
    /// Worth an e-mail.
    Warning,
    /// Wake the crisis cell.
    Critical,
}

impl Severity {
    /// Parses "info" | "warning" | "critical".
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

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

/// State of an episode (one per group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Episode {
    /// Count when the last signal was raised.
    pub raised_count: usize,
    /// Still going on.
    pub open: bool,
}
