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

use crate::classify::stage::Worker;
use crate::config::Config;
use crate::core::classification::Input;
use crate::core::language::LanguageId;
use crate::core::model::{Mention, NewMention};
use crate::core::signal::Signal;
use crate::detect::engine::Engine;
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

/// Replays `records` with simulated ticks every `step` into `store`; writes the signals
/// as JSON lines to `out`.
pub async fn replay(
    cfg: &Config,
    records: Vec<Record>,
    skipped: usize,
    store: &Store,
    step: Duration,
    out: &mut dyn Write,
) -> anyhow::Result<ReplayReport> {
    let started = std::time::Instant::now();
    let langs = LanguageId::new(&cfg.institution.languages);
    let worker = Worker::spawn(crate::classify::build(cfg)?, &cfg.topics);
    // 1. Language and classification do not depend on time: all at once, in batches.
    let mut mentions: Vec<Mention> = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let id = langs.identify(&r.text, r.lang.as_deref());
        mentions.push(Mention {
            id: i as i64 + 1,
            source: r.source.clone().unwrap_or_else(|| "replay".into()),
            sources: vec![r.source.clone().unwrap_or_else(|| "replay".into())],
            url: r.url.clone(),
            title: r
                .title
                .clone()
                .unwrap_or_else(|| r.text.chars().take(120).collect()),
            text: r.text.clone(),
            author: r.author.clone(),
            reach: r.reach,
            published_at: Some(r.published_at),
            first_seen_at: r.published_at,
            lang: id.lang,
            lang_confidence: id.confidence,
            matched: vec![],
            sentiment: None,
            topics: None,
            model: Some(worker.model_id().to_string()),
            story: None,
        });
    }
    for chunk in mentions.chunks_mut(256) {
        let inputs = chunk
            .iter()
            .map(|m| Input {
                id: m.id.to_string(),
                text: m.text.clone(),
                lang: Some(m.lang.clone()).filter(|l| l != "und"),
            })
            .collect();
        let outs = worker.classify(inputs).await?;
        for (m, o) in chunk.iter_mut().zip(outs) {
            m.sentiment = Some(o.sentiment);
            m.topics = Some(o.topics);
        }
    }
    // 2. Simulated time.
    let kb = load_knowledge(cfg)?;
    let mut engine = Engine::new(&cfg.signals, cfg.tz(), kb)?;
    let step_ms = (step.as_millis() as i64).max(1000);
    let mut raised: Vec<Signal> = Vec::new();
    if let (Some(first), Some(last)) = (mentions.first(), mentions.last()) {
        let start = first.first_seen_at.timestamp_millis();
        let end =
            last.first_seen_at.timestamp_millis() + cfg.signals.spike_window.as_millis() as i64;
        let mut t = start - start.rem_euclid(step_ms) + step_ms;
        let mut next = 0;
        while t <= end + step_ms {
            let now = crate::store::from_ms(t);
            while next < mentions.len() && mentions[next].first_seen_at <= now {
                let (story, _) = engine.story(&mentions[next]);
                mentions[next].story = Some(story);
                raised.extend(engine.observe(&mentions[next]));
                next += 1;
            }
            raised.extend(engine.tick(now));
            t += step_ms;
        }
    }
    // 3. Into the store: mentions, classifications, stories, signals.
    let mut db_id: HashMap<i64, i64> = HashMap::new();
    let model = worker.model_id().to_string();
    for (chunk, recs) in mentions.chunks(1000).zip(records.chunks(1000)) {
        let new: Vec<NewMention> = chunk
            .iter()
            .zip(recs)
            .map(|(m, r)| NewMention {
                keys: vec![format!("replay:{}", r.id)],
                source: m.source.clone(),
                url: m.url.clone(),
                title: m.title.clone(),
                text: m.text.clone(),
                author: m.author.clone(),
                reach: m.reach,
                published_at: m.published_at,
                lang: m.lang.clone(),
                lang_confidence: m.lang_confidence,
                matched: vec![],
            })
            .collect();
        let seen = chunk.last().map_or_else(Utc::now, |m| m.first_seen_at);
        let got = store.ingest(&new, seen).await?;
        for (m, g) in chunk.iter().zip(&got) {
            db_id.insert(m.id, g.id);
        }
        let results: Vec<(i64, crate::core::classification::Output)> = chunk
            .iter()
            .map(|m| {
                (
                    db_id[&m.id],
                    crate::core::classification::Output {
                        sentiment: m.sentiment.expect("classified"),
                        topics: m.topics.clone().unwrap_or_default(),
                    },
                )
            })
            .collect();
        store.save_classifications(&results, &model, seen).await?;
    }
    let stories: Vec<(i64, i64, u64)> = mentions
        .iter()
        .map(|m| {
            let s = m.story.unwrap_or(m.id);
            (db_id[&m.id], db_id[&s], 0)
        })
        .collect();
    store.set_stories(&stories).await?;
    let record_id = |local: i64| records[(local - 1) as usize].id.clone();
    let story_of: HashMap<i64, i64> = mentions
        .iter()
        .map(|m| (m.id, m.story.unwrap_or(m.id)))
        .collect();
    let mut story_count: Vec<i64> = story_of.values().copied().collect();
    story_count.sort();
    story_count.dedup();
    for s in &raised {
        let line = ReplaySignal {
            kind: s.kind.clone(),
            severity: s.severity.clone(),
            at: s.at,
            topic: s.topic.clone(),
            story: s.evidence.first().map(|e| record_id(story_of[e])),
            reason: s.reason.clone(),
            evidence: s.evidence.iter().map(|e| record_id(*e)).collect(),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
        let mut stored = s.clone();
        stored.evidence = s.evidence.iter().map(|e| db_id[e]).collect();
        let ep =
            engine
                .episodes
                .get(&s.group_key)
                .copied()
                .unwrap_or(crate::core::signal::Episode {
                    raised_count: 1,
                    open: false,
                });
        store.save_signal(&stored, ep).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(ReplayReport {
        mentions: mentions.len(),
        skipped,
        signals: raised.len(),
        stories: story_count.len(),
        seconds,
        mentions_per_s: mentions.len() as f64 / seconds.max(1e-9),
    })
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
