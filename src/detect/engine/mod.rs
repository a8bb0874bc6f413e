//! The signals engine: every detector, fed with classified mentions in time order
//! (`observe`) and asked at regular times what the windows say (`tick`). It keeps its
//! state in memory (5-minute counts, recent stories, episodes), so the daemon and
//! `vigie replay` run exactly the same detection, the daemon from the store and replay on
//! simulated time.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::baseline::{binomial_tail, poisson_tail, Counts};
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

    /// Counts a past mention for the baselines (warm start), without raising anything.
    pub fn warm(&mut self, at: DateTime<Utc>, topics: &[String], negative: bool) {
        let mut keys = vec![ALL.to_string()];
        keys.extend(topics.iter().map(|t| format!("topic:{t}")));
        self.counts.add(&keys, at, negative);
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
        self.counts.add(&keys_of(m), m.first_seen_at, negative(m));
        self.recent.push_back(m.clone());
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

    fn known_claim(&mut self, m: &Mention, text: &str) -> Option<Signal> {
        let kb = self.kb.as_ref()?;
        let hit = kb.check(text)?;
        let claim = kb.claims[hit.claim].clone();
        let (lang, answer) = kb
            .answer(&claim, &m.lang)
            .map(|(l, a)| (l.to_string(), a.to_string()))
            .unwrap_or_default();
        // Counted over a day: the first match raises, then each doubling.
        let day_ago = m.first_seen_at - chrono::Duration::hours(24);
        let q = self.claim_counts.entry(claim.id.clone()).or_default();
        q.push_back(m.first_seen_at);
        while q.front().is_some_and(|t| *t < day_ago) {
            q.pop_front();
        }
        let n = q.len();
        let key = format!("claim:{}", claim.id);
        if n == 1 {
            self.close(&key);
        }
        if !self.raise(&key, n) {
            return None;
        }
        let mut figures = fig(&[
            ("claim", claim.id.clone()),
            ("n", n.to_string()),
            ("score", format!("{:.2}", hit.score)),
            ("answer_lang", lang),
            ("answer", answer.clone()),
        ]);
        for (l, a) in &claim.answer {
            figures.insert(format!("answer_{l}"), a.clone());
        }
        if let Some(u) = &claim.url {
            figures.insert("url".into(), u.clone());
        }
        let severity = if claim.kind == "false_claim" {
            "warning"
        } else {
            "info"
        };
        Some(Signal {
            id: 0,
            kind: if claim.kind == "false_claim" {
                "known_claim".into()
            } else {
                "faq".into()
            },
            severity: severity.into(),
            topic: m.topics.as_ref().and_then(|t| t.first()).map(|t| t.id.clone()),
            group_key: key,
            title: m.title.clone(),
            reason: format!(
                "{n} mention(s) in 24 h match the known claim \"{}\" (similarity {:.2}); approved answer: {answer}",
                claim.id, hit.score
            ),
            at: m.first_seen_at,
            evidence: vec![m.id],
            figures,
        })
    }

    fn impersonation(&mut self, m: &Mention, text: &str) -> Option<Signal> {
        if !self.imp.enabled() {
            return None;
        }
        let mut all = text.to_string();
        if let Some(u) = &m.url {
            all.push(' ');
            all.push_str(u);
        }
        let (found, pays) = self.imp.check(&all);
        let first = found.first()?.clone();
        let key = format!("impersonation:{}", first.domain);
        let n = self.episodes.get(&key).map_or(0, |e| e.raised_count) + 1;
        // One signal per domain, again if the domain comes back a lot.
        let ep = self.episodes.get(&key).copied();
        let raise = ep.is_none() || ep.is_some_and(|e| n >= e.raised_count * 2);
        self.episodes.insert(
            key.clone(),
            Episode {
                raised_count: if raise {
                    n
                } else {
                    ep.map_or(n, |e| e.raised_count)
                },
                open: true,
            },
        );
        self.dirty.insert(key.clone());
        if !raise {
            return None;
        }
        let kind = if pays { "scam" } else { "impersonation" };
        Some(Signal {
            id: 0,
            kind: kind.into(),
            severity: if pays { "critical" } else { "warning" }.into(),
            topic: m
                .topics
                .as_ref()
                .and_then(|t| t.first())
                .map(|t| t.id.clone()),
            group_key: key,
            title: m.title.clone(),
            reason: format!(
                "the domain {} imitates {} ({}){}",
                first.domain,
                first.imitates,
                first.how.replace('_', " "),
                if pays {
                    "; the message asks for payment or bank details"
                } else {
                    ""
                }
            ),
            at: m.first_seen_at,
            evidence: vec![m.id],
            figures: fig(&[
                ("domain", first.domain.clone()),
                ("imitates", first.imitates.clone()),
                ("how", first.how.to_string()),
            ]),
        })
    }

    fn reach(&mut self, m: &Mention) -> Option<Signal> {
        let author = m.author.as_deref().unwrap_or("").to_lowercase();
        let host = m
            .url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_string())
            })
            .unwrap_or_default();
        let media = self.media.iter().find(|x| {
            (!author.is_empty()
                && (author == **x || author.trim_start_matches('@') == x.trim_start_matches('@')))
                || (!host.is_empty() && (host == **x || host.ends_with(&format!(".{x}"))))
        });
        let reach = m.reach.unwrap_or(0);
        let high = reach >= self.cfg.high_reach;
        if media.is_none() && !high {
            return None;
        }
        let severity = if negative(m) { "warning" } else { "info" };
        let (kind, why) = match media {
            Some(x) => ("media", format!("a mention by {x}, on the media list")),
            None => (
                "high_reach",
                format!(
                    "a mention by {} with a reach of {reach} (threshold {})",
                    m.author.as_deref().unwrap_or("an account"),
                    self.cfg.high_reach
                ),
            ),
        };
        Some(Signal {
            id: 0,
            kind: kind.into(),
            severity: severity.into(),
            topic: m
                .topics
                .as_ref()
                .and_then(|t| t.first())
                .map(|t| t.id.clone()),
            group_key: format!("{kind}:{}", m.id),
            title: m.title.clone(),
            reason: why,
            at: m.first_seen_at,
            evidence: vec![m.id],
            figures: fig(&[
                ("author", m.author.clone().unwrap_or_default()),
                ("reach", reach.to_string()),
            ]),
        })
    }

    /// Evaluates the windows ending at `now`: volume spikes per topic and overall, the
    /// negative share, the crisis vocabulary.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Signal> {
        let keep = chrono::Duration::from_std(self.cfg.window.max(self.cfg.spike_window))
            .unwrap_or(chrono::Duration::hours(1));
        while self
            .recent
            .front()
            .is_some_and(|m| m.first_seen_at < now - keep)
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
            .filter(|m| m.first_seen_at > now - len && m.first_seen_at <= now)
            .filter(|m| key == ALL || keys_of(m).iter().any(|k| k == key))
            .collect();
        ms.sort_by_key(|m| std::cmp::Reverse((m.first_seen_at, m.id)));
        ms
    }

    fn spike(&mut self, key: &str, now: DateTime<Utc>) -> Option<Signal> {
        let len = self.cfg.spike_window.as_millis() as i64;
        let w = self
            .counts
            .window(key, now, len, self.cfg.baseline_days as i64, self.tz);
        let group = format!("spike:{key}");
        if w.expected.is_nan() {
            return None;
        }
        // Without three comparable days yet, the 12-hour rate misjudges the daily rhythm
        // (a morning after a quiet night): ask for far stronger evidence.
        let (floor, strict) = if w.samples >= 3 {
            (0.25, 1.0)
        } else {
            (1.0, 1e-3)
        };
        // One pseudo-event in the baseline (Laplace): a few empty days do not make a
        // handful of posts improbable.
        let smoothed = if w.samples > 0 {
            (w.expected * w.samples as f64 + 1.0) / (w.samples as f64 + 1.0)
        } else {
            w.expected
        };
        let lambda = smoothed.max(w.variance).max(floor);
        let p = poisson_tail(w.n, lambda) / strict;
        if (w.n as usize) < self.cfg.min_count || p >= self.cfg.warning_p {
            if p > 0.01 {
                self.close(&group);
            }
            return None;
        }
        if !self.raise(&group, w.n as usize) {
            return None;
        }
        let severity = if p < self.cfg.critical_p && w.n as usize >= self.cfg.critical_count {
            "critical"
        } else {
            "warning"
        };
        let topic = key.strip_prefix("topic:").map(str::to_string);
        let minutes = len / 60_000;
        let ev = self.evidence(now, chrono::Duration::milliseconds(len), key);
        let reason = format!(
            "{} mentions{} in the last {minutes} min, {:.1} expected at this time of day ({} comparable days); chance under the usual rate {:.0e}",
            w.n,
            topic.as_deref().map(|t| format!(" on {t}")).unwrap_or_default(),
            w.expected,
            w.samples,
            p
        );
        Some(Signal {
            id: 0,
            kind: "volume_spike".into(),
            severity: severity.into(),
            topic: topic.clone(),
            group_key: group,
            title: ev.first().map(|m| m.title.clone()).unwrap_or_default(),
            reason,
            at: now,
            evidence: ev.iter().take(20).map(|m| m.id).collect(),
            figures: fig(&[
                ("n", w.n.to_string()),
                ("minutes", minutes.to_string()),
                ("expected", format!("{:.1}", w.expected)),
                ("days", w.samples.to_string()),
                ("topic", topic.unwrap_or_else(|| "-".into())),
            ]),
        })
    }

    fn negative_surge(&mut self, now: DateTime<Utc>) -> Option<Signal> {
        let len = self.cfg.spike_window.as_millis() as i64;
        let end = now.timestamp_millis();
        let (n, neg) = self.counts.sum(ALL, end, len);
        let (total7, neg7) = self.counts.sum(ALL, end - len, 7 * 24 * 3600 * 1000);
        let group = "negative:all".to_string();
        if total7 < 20 || (n as usize) < self.cfg.min_count {
            self.close(&group);
            return None;
        }
        let base = (neg7 as f64 / total7 as f64).clamp(0.05, 0.95);
        let share = neg as f64 / n as f64;
        let p = binomial_tail(neg, n, base);
        if share < base + self.cfg.negative_margin || p >= self.cfg.warning_p {
            if p > 0.01 {
                self.close(&group);
            }
            return None;
        }
        if !self.raise(&group, neg as usize) {
            return None;
        }
        let severity = if p < self.cfg.critical_p && neg as usize >= self.cfg.critical_count {
            "critical"
        } else {
            "warning"
        };
        let minutes = len / 60_000;
        let ev: Vec<i64> = self
            .evidence(now, chrono::Duration::milliseconds(len), ALL)
            .into_iter()
            .filter(|m| negative(m))
            .take(20)
            .map(|m| m.id)
            .collect();
        let title = self
            .recent
            .iter()
            .rev()
            .find(|m| negative(m))
            .map(|m| m.title.clone())
            .unwrap_or_default();
        Some(Signal {
            id: 0,
            kind: "negative_surge".into(),
            severity: severity.into(),
            topic: None,
            group_key: group,
            title,
            reason: format!(
                "{neg} of {n} mentions negative in the last {minutes} min ({:.0} %), against {:.0} % over the past 7 days",
                share * 100.0,
                base * 100.0
            ),
            at: now,
            evidence: ev,
            figures: fig(&[
                ("negative", neg.to_string()),
                ("n", n.to_string()),
                ("minutes", minutes.to_string()),
                ("share", format!("{:.0}", share * 100.0)),
                ("usual", format!("{:.0}", base * 100.0)),
            ]),
        })
    }

    fn crisis(&mut self, now: DateTime<Utc>) -> Option<Signal> {
        let ms: Vec<Mention> = self.recent.iter().cloned().collect();
        let (probe, _) = self.vocab.evaluate(&ms, now, None);
        let key = probe
            .as_ref()
            .map(|s| s.group_key.clone())
            .unwrap_or_else(|| "crisis:all".into());
        let ep = self.episodes.get(&key).copied();
        let (signal, next) = self.vocab.evaluate(&ms, now, ep);
        if let Some(e) = next {
            if Some(e) != ep {
                self.episodes.insert(key.clone(), e);
                self.dirty.insert(key);
            }
        }
        signal
    }
}
