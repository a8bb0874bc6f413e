//! `vigie replay`: recorded mentions through the whole pipeline (language, classification,
//! stories, every detector) on simulated time, as fast as the machine goes, into a fresh
//! store; the signals come out as JSON lines. Users tune thresholds on their own past data
//! with it, and the tests use it.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Clock;
use crate::classify::stage::Stage;
use crate::config::Config;
use crate::core::model::{Item, NewMention};
use crate::core::signal::Signal;
use crate::detect::engine::Engine;
use crate::detect::stage::Detection;
use crate::escalate::stage::Escalate;
use crate::store::Store;

/// One recorded mention (a JSON line of the input).
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    /// The recorder's id, used in the output.
    pub id: String,
    /// The text.
    pub text: String,
    /// When it was published (simulated arrival time).
    pub published_at: DateTime<Utc>,
    /// Source name.
    #[serde(default)]
    pub source: Option<String>,
    /// Author or handle.
    #[serde(default)]
    pub author: Option<String>,
    /// Followers of the author.
    #[serde(default)]
    pub reach: Option<i64>,
    /// Language, when known.
    #[serde(default)]
    pub lang: Option<String>,
    /// Link.
    #[serde(default)]
    pub url: Option<String>,
    /// Title, if any.
    #[serde(default)]
    pub title: Option<String>,
    /// Likes, reposts, replies, quotes, views, when recorded.
    #[serde(default)]
    pub engagement: crate::core::model::Engagement,
}

/// One output line.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySignal {
    /// Signal kind.
    pub kind: String,
    /// info | warning | critical.
    pub severity: String,
    /// Simulated time it was raised.
    pub at: DateTime<Utc>,
    /// Topic, when about one.
    pub topic: Option<String>,
    /// The story of its first evidence (the recorded id of the story's first mention).
    pub story: Option<String>,
    /// Why, with figures.
    pub reason: String,
    /// Recorded ids of the evidence mentions.
    pub evidence: Vec<String>,
}

/// What a replay did.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// Mentions replayed.
    pub mentions: usize,
    /// Input lines skipped (malformed).
    pub skipped: usize,
    /// Signals raised.
    pub signals: usize,
    /// Stories formed.
    pub stories: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Mentions per second.
    pub mentions_per_s: f64,
}

/// Reads the records; malformed lines are logged with their line number and skipped.
pub fn read(input: &Path) -> anyhow::Result<(Vec<Record>, usize)> {
    let text =
        std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => out.push(r),
            Err(e) => {
                skipped += 1;
                tracing::warn!(line = i + 1, error = %e, "replay: line skipped");
            }
        }
    }
    out.sort_by_key(|r| r.published_at);
    Ok((out, skipped))
}

/// Replays `records` through the daemon's stages on a simulated clock that moves by
/// `step`: each record is stored when the clock reaches its `published_at` (as first seen
/// then), classified, taken in by detection, and escalated, exactly as the daemon does;
/// the signals are written as JSON lines to `out`.
pub async fn replay(
    cfg: &Config,
    records: Vec<Record>,
    skipped: usize,
    store: &Store,
    step: Duration,
    out: &mut dyn Write,
) -> anyhow::Result<ReplayReport> {
    let started = std::time::Instant::now();
    let step = chrono::Duration::from_std(step.max(Duration::from_secs(1)))?;
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(report(0, skipped, 0, 0, started));
    };
    let step_ms = step.num_milliseconds();
    let start = first.published_at.timestamp_millis();
    let mut t = crate::store::from_ms(start - start.rem_euclid(step_ms) + step_ms);
    let end = last.published_at + chrono::Duration::from_std(cfg.signals.spike_window)? + step;
    let clock = Clock::simulated(first.published_at);
    let classify = Stage::new(
        store.clone(),
        super::start_classifier(cfg)?,
        cfg.classifier.batch_size,
        cfg.classifier.max_wait,
    );
    let engine = Engine::new(&cfg.signals, cfg.tz(), load_knowledge(cfg)?)?;
    let mut detection = Detection::start(store, engine, &cfg.signals, clock.now()).await?;
    let escalate = Escalate::new(cfg.escalation.clone(), cfg.tz())
        .with_late_after(crate::sources::fetch::late_after(&cfg.fetch));
    let pipeline = cfg.sources().pipeline();
    let mut record_of: HashMap<i64, usize> = HashMap::new();
    let mut raised: Vec<Signal> = Vec::new();
    let mut next = 0;
    while t <= end {
        // As the daemon polling every `step`: what was published since the last poll is
        // first seen now, then classified, detected and escalated by the same stages.
        clock.set(t);
        let from = next;
        while next < records.len() && records[next].published_at <= t {
            next += 1;
        }
        if next > from {
            let batch: Vec<NewMention> = records[from..next]
                .iter()
                .map(|r| {
                    // A record is one post: its `url` may be an article that other posts
                    // share, so its own id, not the daemon's link and text keys, says
                    // which mention it is.
                    let mut m = pipeline.mention(&item(r), vec![], t);
                    m.keys = vec![format!("replay:{}", r.id)];
                    m
                })
                .collect();
            for (i, g) in store.ingest(&batch, t).await?.iter().enumerate() {
                record_of.entry(g.id).or_insert(from + i);
            }
            classify.drain().await?;
        }
        let signals = detection.round(store, t).await?;
        escalate.round(store, t).await?;
        raised.extend(signals);
        t += step;
    }
    let record_id = |db: i64| record_of.get(&db).map(|i| records[*i].id.clone());
    let stories = store
        .stories_of(&record_of.keys().copied().collect::<Vec<_>>())
        .await?;
    for s in &raised {
        let line = ReplaySignal {
            kind: s.kind.clone(),
            severity: s.severity.clone(),
            at: s.at,
            topic: s.topic.clone(),
            story: s
                .evidence
                .first()
                .and_then(|e| stories.get(e))
                .and_then(|story| record_id(*story)),
            reason: s.reason.clone(),
            evidence: s.evidence.iter().filter_map(|e| record_id(*e)).collect(),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    let mut distinct: Vec<i64> = stories.values().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    Ok(report(
        records.len(),
        skipped,
        raised.len(),
        distinct.len(),
        started,
    ))
}

/// A recorded mention as a source would have delivered it.
fn item(r: &Record) -> Item {
    let (title, text) = match &r.title {
        Some(title) => (title.clone(), r.text.clone()),
        None => (r.text.clone(), String::new()),
    };
    Item {
        source: r.source.clone().unwrap_or_else(|| "replay".into()),
        guid: Some(r.id.clone()),
        link: r.url.clone(),
        title,
        text,
        published_at: Some(r.published_at),
        author: r.author.clone(),
        reach: r.reach,
        lang_hint: r.lang.clone(),
        engagement: r.engagement,
        ..Default::default()
    }
}

fn report(
    mentions: usize,
    skipped: usize,
    signals: usize,
    stories: usize,
    started: std::time::Instant,
) -> ReplayReport {
    let seconds = started.elapsed().as_secs_f64();
    ReplayReport {
        mentions,
        skipped,
        signals,
        stories,
        seconds,
        mentions_per_s: mentions as f64 / seconds.max(1e-9),
    }
}

/// The configured knowledge base (`[signals] knowledge`), if any.
pub fn load_knowledge(
    cfg: &Config,
) -> anyhow::Result<Option<crate::detect::knowledge::KnowledgeBase>> {
    match &cfg.signals.knowledge {
        None => Ok(None),
        Some(p) => {
            let path = cfg.base_dir().join(p);
            Ok(Some(
                crate::detect::knowledge::KnowledgeBase::load(&path)
                    .with_context(|| format!("signals.knowledge ({})", path.display()))?,
            ))
        }
    }
}
