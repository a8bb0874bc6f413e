//! Who gets which alert: routing rules by severity, topic, language, source and kind,
//! and each recipient's quiet hours (critical alerts go through, day and night).

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

pub use crate::core::signal::Severity;

/// `[[alerts.routes]]`: extra recipients for matching signals. Empty lists match anything.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Severities that match.
    #[serde(default)]
    pub severity: Vec<Severity>,
    /// Topic ids that match.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Languages (of the evidence) that match.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Source names that match.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Signal kinds that match (e.g. "phishing", "volume_spike").
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Recipient e-mail addresses (each must be a `[[recipients]]` entry).
    pub to: Vec<String>,
}

/// What routing looks at in a signal.
#[derive(Debug, Clone)]
pub struct RouteKey<'a> {
    /// Severity.
    pub severity: Severity,
    /// Topic, if any.
    pub topic: Option<&'a str>,
    /// Languages of the evidence.
    pub languages: &'a [String],
    /// Sources of the evidence.
    pub sources: &'a [String],
    /// Signal kind.
    pub kind: &'a str,
}

impl Route {
    /// True when every non-empty criterion matches.
    pub fn matches(&self, k: &RouteKey) -> bool {
        let any = |list: &[String], vals: &[String]| {
            list.is_empty() || vals.iter().any(|v| list.contains(v))
        };
        (self.severity.is_empty() || self.severity.contains(&k.severity))
            && (self.topics.is_empty()
                || k.topic.is_some_and(|t| self.topics.iter().any(|x| x == t)))
            && any(&self.languages, k.languages)
            && any(&self.sources, k.sources)
            && (self.kinds.is_empty() || self.kinds.iter().any(|x| x == k.kind))
    }
}

/// Parses "22:00-07:00".
pub fn parse_quiet_hours(s: &str) -> Option<(NaiveTime, NaiveTime)> {
    crate::core::config::parse_time_range(s)
}

/// True when `now` (in `tz`) falls within the quiet window.
pub fn in_quiet_hours(now: DateTime<Utc>, tz: Tz, window: (NaiveTime, NaiveTime)) -> bool {
    let t = now.with_timezone(&tz).time();
    let (start, end) = window;
    if start <= end {
        t >= start && t < end
    } else {
        t >= start || t < end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_on_every_given_criterion() {
        let r = Route {
            severity: vec![Severity::Critical],
            topics: vec!["phishing".into()],
            to: vec!["sec@example.org".into()],
            ..Route::default()
        };
        let langs = vec!["fr".to_string()];
        let k = |sev, topic| RouteKey {
            severity: sev,
            topic,
            languages: &langs,
            sources: &[],
            kind: "phishing",
        };
        assert!(r.matches(&k(Severity::Critical, Some("phishing"))));
        assert!(!r.matches(&k(Severity::Warning, Some("phishing"))));
        assert!(!r.matches(&k(Severity::Critical, Some("outage"))));
        assert!(!r.matches(&k(Severity::Critical, None)));
        let any = Route {
            to: vec!["x@example.org".into()],
            ..Route::default()
        };
        assert!(any.matches(&k(Severity::Info, None)));
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_local_time() {
        let tz: Tz = "Europe/Brussels".parse().unwrap();
        let w = parse_quiet_hours("22:00-07:00").unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(in_quiet_hours(at("2026-11-24T22:30:00Z"), tz, w)); // 23:30 local
        assert!(in_quiet_hours(at("2026-11-24T05:30:00Z"), tz, w)); // 06:30 local
        assert!(!in_quiet_hours(at("2026-11-24T06:30:00Z"), tz, w)); // 07:30 local
        assert!(!in_quiet_hours(at("2026-11-24T12:00:00Z"), tz, w));
        assert!(parse_quiet_hours("7h-8h").is_none());
    }
}
