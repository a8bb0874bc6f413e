//! Crisis vocabulary over a sliding window.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Signal;
use crate::core::config::humantime_serde_compat;
use crate::core::matching::Matcher;
use crate::core::model::Mention;

/// `[signals]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsConfig {
    /// Crisis vocabulary (keyword queries, same syntax as `[institution] keywords`).
    #[serde(default = "default_terms")]
    pub crisis_terms: Vec<String>,
    /// Sliding window.
    #[serde(default = "d_window", with = "humantime_serde_compat")]
    pub window: Duration,
    /// Mentions in the window before anything is raised (3 posts are never a crisis).
    #[serde(default = "d_min")]
    pub min_count: usize,
    /// Mentions in the window for a critical signal.
    #[serde(default = "d_critical")]
    pub critical_count: usize,
    /// Volume spikes: the window compared with the same window on earlier days.
    #[serde(default = "d_spike_window", with = "humantime_serde_compat")]
    pub spike_window: Duration,
    /// Days of history in the baseline.
    #[serde(default = "d_baseline_days")]
    pub baseline_days: u32,
    /// A window this unlikely under its baseline (Poisson tail) is a warning...
    #[serde(default = "d_warning_p")]
    pub warning_p: f64,
    /// ... and this unlikely (with at least `critical_count` mentions) critical.
    #[serde(default = "d_critical_p")]
    pub critical_p: f64,
    /// Negative surge: the window's negative share must exceed the last 7 days' by this.
    #[serde(default = "d_negative_margin")]
    pub negative_margin: f64,
    /// A mention from an account with at least this reach (followers) is signalled.
    #[serde(default = "d_high_reach")]
    pub high_reach: i64,
    /// A post that gathered at least this many interactions (likes, reposts, replies,
    /// quotes) per hour between its publication and when it was read is signalled as
    /// `high_reach` too, whatever its author's audience (0 turns this off).
    #[serde(default = "d_high_engagement")]
    pub high_engagement_per_hour: i64,
    /// Media and journalists: authors, @handles or site domains whose mentions are signalled.
    #[serde(default)]
    pub media: Vec<String>,
    /// The institution's own domains; look-alikes are flagged as impersonation.
    #[serde(default)]
    pub official_domains: Vec<String>,
    /// Knowledge base of false claims and approved answers: a TOML file or a folder
    /// (relative to the config file).
    #[serde(default)]
    pub knowledge: Option<String>,
    /// Stories: near-duplicates differ in at most this many of 64 SimHash bits.
    #[serde(default = "d_story_distance")]
    pub story_distance: u32,
    /// Stories: a post joins a story seen within this time.
    #[serde(default = "d_story_horizon", with = "humantime_serde_compat")]
    pub story_horizon: Duration,
}

fn d_spike_window() -> Duration {
    Duration::from_secs(30 * 60)
}
fn d_baseline_days() -> u32 {
    28
}
fn d_warning_p() -> f64 {
    1e-5
}
fn d_critical_p() -> f64 {
    1e-9
}
fn d_negative_margin() -> f64 {
    0.2
}
fn d_high_reach() -> i64 {
    50_000
}
fn d_high_engagement() -> i64 {
    500
}
fn d_story_distance() -> u32 {
    8
}
fn d_story_horizon() -> Duration {
    Duration::from_secs(3 * 24 * 3600)
}

fn default_terms() -> Vec<String> {
    [
        // fr
        "panne",
        "inaccessible",
        "bug",
        "fraude",
        "arnaque",
        "hameçonnage",
        "phishing",
        "fuite de données",
        "piratage",
        "grève",
        "scandale",
        // nl
        "storing",
        "\"ligt plat\"",
        "onbereikbaar",
        "oplichting",
        "oplichters",
        "fraude",
        "datalek",
        "hack",
        "staking",
        // en
        "outage",
        "down",
        "scam",
        "fraud",
        "\"data leak\"",
        "breach",
        "hacked",
        "strike",
        // de
        "Störung",
        "gestört",
        "Ausfall",
        "Betrug",
        "Betrüger",
        "Datenleck",
        "Streik",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
fn d_window() -> Duration {
    Duration::from_secs(3600)
}
fn d_min() -> usize {
    5
}
fn d_critical() -> usize {
    20
}

impl Default for SignalsConfig {
    fn default() -> Self {
        SignalsConfig {
            crisis_terms: default_terms(),
            window: d_window(),
            min_count: d_min(),
            critical_count: d_critical(),
            spike_window: d_spike_window(),
            baseline_days: d_baseline_days(),
            warning_p: d_warning_p(),
            critical_p: d_critical_p(),
            negative_margin: d_negative_margin(),
            high_reach: d_high_reach(),
            high_engagement_per_hour: d_high_engagement(),
            media: Vec::new(),
            official_domains: Vec::new(),
            knowledge: None,
            story_distance: d_story_distance(),
            story_horizon: d_story_horizon(),
        }
    }
}

pub use crate::core::signal::Episode;

/// The detector.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    matcher: Matcher,
    cfg: SignalsConfig,
}

impl Vocabulary {
    /// Compiles the vocabulary (validated with the config).
    pub fn new(cfg: &SignalsConfig) -> Result<Vocabulary, String> {
        let matcher = Matcher::new(&cfg.crisis_terms, &[]).map_err(|e| format!("{e:?}"))?;
        Ok(Vocabulary {
            matcher,
            cfg: cfg.clone(),
        })
    }

    /// Looks at the mentions of the window ending at `now` and says what to raise (if
    /// anything) and the episode's new state.
    pub fn evaluate(
        &self,
        mentions: &[Mention],
        now: DateTime<Utc>,
        episode: Option<Episode>,
    ) -> (Option<Signal>, Option<Episode>) {
        let since =
            now - chrono::Duration::from_std(self.cfg.window).unwrap_or(chrono::Duration::hours(1));
        let mut hits: Vec<(&Mention, Vec<String>)> = mentions
            .iter()
            .filter(|m| m.event_at() > since && m.event_at() <= now && !m.late)
            .filter_map(|m| {
                self.matcher
                    .check(&format!("{}\n{}", m.title, m.text))
                    .map(|t| (m, t))
            })
            .collect();
        let n = hits.len();
        let open = episode.is_some_and(|e| e.open);
        if n < self.cfg.min_count {
            // The episode ends when the count falls back under half the threshold.
            let still = open && n * 2 >= self.cfg.min_count;
            return (None, episode.map(|e| Episode { open: still, ..e }));
        }
        if open && n < episode.map_or(0, |e| e.raised_count) * 2 {
            return (None, episode);
        }
        hits.sort_by_key(|(m, _)| std::cmp::Reverse((m.event_at(), m.id)));
        let mut terms: Vec<String> = hits.iter().flat_map(|(_, t)| t.clone()).collect();
        terms.sort();
        terms.dedup();
        let negative = hits
            .iter()
            .filter(|(m, _)| {
                m.sentiment.is_some_and(|s| {
                    s.label == crate::core::classification::SentimentLabel::Negative
                })
            })
            .count();
        let mut langs: Vec<&str> = hits.iter().map(|(m, _)| m.lang.as_str()).collect();
        langs.sort();
        langs.dedup();
        let severity = if n >= self.cfg.critical_count {
            "critical"
        } else {
            "warning"
        };
        let minutes = self.cfg.window.as_secs() / 60;
        let reason = format!(
            "{n} mentions with crisis words in the last {minutes} min (threshold {}{}); {negative} negative; words: {}; languages: {}",
            self.cfg.min_count,
            if open { format!(", doubled since the last alert at {}", episode.map_or(0, |e| e.raised_count)) } else { String::new() },
            terms.join(", "),
            langs.join(", ")
        );
        let topic = most_common_topic(hits.iter().map(|(m, _)| *m));
        let mut figures = std::collections::BTreeMap::new();
        figures.insert("n".to_string(), n.to_string());
        figures.insert("minutes".to_string(), minutes.to_string());
        figures.insert("threshold".to_string(), self.cfg.min_count.to_string());
        figures.insert("negative".to_string(), negative.to_string());
        figures.insert("words".to_string(), terms.join(", "));
        figures.insert("languages".to_string(), langs.join(", "));
        let signal = Signal {
            id: 0,
            kind: "crisis_vocabulary".into(),
            severity: severity.into(),
            topic: topic.clone(),
            group_key: format!("crisis:{}", topic.as_deref().unwrap_or("all")),
            title: hits[0].0.title.clone(),
            reason,
            at: now,
            evidence: hits.iter().take(20).map(|(m, _)| m.id).collect(),
            figures,
        };
        (
            Some(signal),
            Some(Episode {
                raised_count: n,
                open: true,
            }),
        )
    }
}

fn most_common_topic<'a>(ms: impl Iterator<Item = &'a Mention>) -> Option<String> {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for m in ms {
        if let Some(t) = m.topics.as_ref().and_then(|t| t.first()) {
            *counts.entry(t.id.clone()).or_default() += 1;
        }
    }
    counts.into_iter().max_by_key(|(_, c)| *c).map(|(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(id: i64, at: DateTime<Utc>, title: &str) -> Mention {
        Mention {
            id,
            source: "s".into(),
            sources: vec!["s".into()],
            url: None,
            title: title.into(),
            text: String::new(),
            author: None,
            reach: None,
            engagement: Default::default(),
            published_at: None,
            first_seen_at: at,
            lang: "fr".into(),
            lang_confidence: 1.0,
            matched: vec![],
            sentiment: None,
            topics: None,
            model: None,
            story: None,
            in_reply_to: None,
            thread: None,
            direct: false,
            own: false,
            late: false,
            question: false,
        }
    }

    #[test]
    fn three_posts_are_never_a_crisis_and_episodes_are_raised_once_then_on_doubling() {
        let v = Vocabulary::new(&SignalsConfig::default()).unwrap();
        let t0: DateTime<Utc> = "2026-11-24T08:00:00Z".parse().unwrap();
        let mut ms: Vec<Mention> = (0..3).map(|i| mention(i, t0, "MyTax en panne")).collect();
        ms.push(mention(99, t0, "Résultats du budget"));
        let (s, e) = v.evaluate(&ms, t0 + chrono::Duration::minutes(1), None);
        assert!(s.is_none() && e.is_none());
        ms.extend((3..6).map(|i| mention(i, t0, "MyTax ligt plat, storing")));
        let (s, e) = v.evaluate(&ms, t0 + chrono::Duration::minutes(2), None);
        let s = s.expect("6 posts raise a warning");
        assert_eq!(s.severity, "warning");
        assert!(
            s.reason
                .starts_with("6 mentions with crisis words in the last 60 min"),
            "{}",
            s.reason
        );
        assert!(
            s.reason.contains("panne") && s.reason.contains("storing"),
            "{}",
            s.reason
        );
        assert_eq!(
            e,
            Some(Episode {
                raised_count: 6,
                open: true
            })
        );
        // Same episode, not doubled: nothing new.
        ms.extend((6..10).map(|i| mention(i, t0, "panne")));
        let (s2, e2) = v.evaluate(&ms, t0 + chrono::Duration::minutes(3), e);
        assert!(s2.is_none());
        // Doubled (and past the critical count): raised again.
        ms.extend((10..25).map(|i| mention(i, t0, "panne")));
        let (s3, _) = v.evaluate(&ms, t0 + chrono::Duration::minutes(4), e2);
        assert_eq!(s3.unwrap().severity, "critical");
        // Two hours later the window is empty: the episode is over.
        let (s4, e4) = v.evaluate(&ms, t0 + chrono::Duration::hours(2), e2);
        assert!(s4.is_none());
        assert_eq!(e4.map(|e| e.open), Some(false));
    }
}
