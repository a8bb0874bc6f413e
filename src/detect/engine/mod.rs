//! The signals engine: every detector, fed with classified mentions in time order
//! (`observe`) and asked at regular times what the windows say (`tick`). It keeps its
//! state in memory (5-minute counts, recent stories, episodes), so the daemon and
//! `vigie replay` run exactly the same detection, the daemon from the store and replay on
//! simulated time.

mod mention;
mod windows;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::baseline::Counts;
use super::crisis::{Episode, SignalsConfig, Vocabulary};
use super::impersonation::Impersonation;
use super::knowledge::KnowledgeBase;
use super::stories::{simhash, story_links, StoryIndex};
use super::Signal;
use crate::core::classification::SentimentLabel;
use crate::core::model::Mention;

/// Overall key of the counts.
const ALL: &str = "all";

/// The engine.
pub struct Engine {
    cfg: SignalsConfig,
    tz: Tz,
    vocab: Vocabulary,
    counts: Counts,
    recent: VecDeque<Mention>,
    stories: StoryIndex,
    kb: Option<KnowledgeBase>,
    imp: Impersonation,
    media: Vec<String>,
    /// Episode per group key.
    pub episodes: HashMap<String, Episode>,
    /// Group keys whose episode changed since the caller last saved them.
    pub dirty: HashSet<String>,
    claim_counts: HashMap<String, VecDeque<DateTime<Utc>>>,
}

fn negative(m: &Mention) -> bool {
    m.sentiment
        .is_some_and(|s| s.label == SentimentLabel::Negative)
}

fn keys_of(m: &Mention) -> Vec<String> {
    let mut k = vec![ALL.to_string()];
    for t in m.topics.iter().flatten() {
        k.push(format!("topic:{}", t.id));
    }
    k
}

fn fig(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

impl Engine {
    /// Builds the detectors; `kb` is the loaded knowledge base, if configured.
    pub fn new(cfg: &SignalsConfig, tz: Tz, kb: Option<KnowledgeBase>) -> anyhow::Result<Engine> {
        let vocab =
            Vocabulary::new(cfg).map_err(|e| anyhow::anyhow!("signals.crisis_terms: {e}"))?;
        Ok(Engine {
            cfg: cfg.clone(),
            tz,
            vocab,
            counts: Counts::default(),
            recent: VecDeque::new(),
            stories: StoryIndex::new(
                cfg.story_distance,
                chrono::Duration::from_std(cfg.story_horizon)?,
            ),
            kb,
            imp: Impersonation::new(&cfg.official_domains),
            media: cfg.media.iter().map(|m| m.trim().to_lowercase()).collect(),
            episodes: HashMap::new(),
            dirty: HashSet::new(),
            claim_counts: HashMap::new(),
        })
    }

    /// The knowledge base the claims are checked against.
    pub fn knowledge(&self) -> Option<&KnowledgeBase> {
        self.kb.as_ref()
    }

    /// Replaces the knowledge base (answers written on the page since the start).
    pub fn set_knowledge(&mut self, kb: Option<KnowledgeBase>) {
        self.kb = kb;
    }

    /// Counts a past mention for the baselines (warm start), without raising anything.
    pub fn warm(&mut self, at: DateTime<Utc>, topics: &[String], negative: bool) {
        let mut keys = vec![ALL.to_string()];
        keys.extend(topics.iter().map(|t| format!("topic:{t}")));
        self.counts.add(&keys, at, negative);
    }

    /// How far back the windows look: what a warm start must give back to `recent`.
    pub fn recent_span(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.cfg.window.max(self.cfg.spike_window))
            .unwrap_or(chrono::Duration::hours(1))
    }

    /// Gives back a past mention still inside the windows (warm start), without counting
    /// it again or raising anything.
    pub fn warm_recent(&mut self, m: Mention) {
        self.recent.push_back(m);
    }

    /// Remembers a past mention's story (warm start).
    pub fn warm_story(
        &mut self,
        story: i64,
        hash: u64,
        url: Option<&str>,
        text: &str,
        at: DateTime<Utc>,
    ) {
        let links = story_links(url, text, &self.cfg.official_domains);
        self.stories.remember(story, hash, &links, at);
    }

    /// The story of a mention (its id when it starts one) and its SimHash.
    pub fn story(&mut self, m: &Mention) -> (i64, u64) {
        let text = format!("{}\n{}", m.title, m.text);
        let hash = simhash(&text);
        let links = story_links(m.url.as_deref(), &text, &self.cfg.official_domains);
        (
            self.stories.assign(m.id, hash, &links, m.first_seen_at),
            hash,
        )
    }

    /// Takes in one classified mention: counts it, and returns what it raises by itself
    /// (known claim, impersonation, high reach, media).
    pub fn observe(&mut self, m: &Mention) -> Vec<Signal> {
        // Counted when it was written: a week-old article read today is last week's news.
        self.counts.add(&keys_of(m), m.event_at(), negative(m));
        // A late one never counts as "now" in a window.
        if !m.late {
            self.recent.push_back(m.clone());
        }
        let mut out = Vec::new();
        let text = format!("{}\n{}", m.title, m.text);
        if let Some(s) = self.known_claim(m, &text) {
            out.push(s);
        }
        if let Some(s) = self.impersonation(m, &text) {
            out.push(s);
        }
        if let Some(s) = self.reach(m) {
            out.push(s);
        }
        out
    }

    fn raise(&mut self, key: &str, count: usize) -> bool {
        let ep = self.episodes.get(key).copied();
        if ep.is_some_and(|e| e.open && count < e.raised_count * 2) {
            return false;
        }
        self.episodes.insert(
            key.to_string(),
            Episode {
                raised_count: count,
                open: true,
            },
        );
        self.dirty.insert(key.to_string());
        true
    }

    fn close(&mut self, key: &str) {
        if let Some(e) = self.episodes.get_mut(key) {
            if e.open {
                e.open = false;
                self.dirty.insert(key.to_string());
            }
        }
    }

    /// Evaluates the windows ending at `now`: volume spikes per topic and overall, the
    /// negative share, the crisis vocabulary.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Signal> {
        let keep = self.recent_span();
        while self
            .recent
            .front()
            .is_some_and(|m| m.event_at() < now - keep)
        {
            self.recent.pop_front();
        }
        self.counts.prune(now, self.cfg.baseline_days as i64 + 8);
        let mut out = Vec::new();
        let mut keys = self.counts.keys();
        // Topics first: when a topic spikes, the overall spike is the same story.
        keys.sort_by_key(|k| k == ALL);
        let mut topic_raised = false;
        for key in keys {
            if key == ALL && topic_raised {
                continue;
            }
            if let Some(s) = self.spike(&key, now) {
                topic_raised |= key != ALL;
                out.push(s);
            }
        }
        if let Some(s) = self.negative_surge(now) {
            out.push(s);
        }
        if let Some(s) = self.crisis(now) {
            out.push(s);
        }
        out
    }

    fn evidence(&self, now: DateTime<Utc>, len: chrono::Duration, key: &str) -> Vec<&Mention> {
        let mut ms: Vec<&Mention> = self
            .recent
            .iter()
            .filter(|m| m.event_at() > now - len && m.event_at() <= now)
            .filter(|m| key == ALL || keys_of(m).iter().any(|k| k == key))
            .collect();
        ms.sort_by_key(|m| std::cmp::Reverse((m.event_at(), m.id)));
        ms
    }
}
