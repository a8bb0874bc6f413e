//! What one mention raises by itself: a known false claim, an impersonation, a post
//! with a high reach or from the media.

use super::{fig, negative, Engine};
use crate::core::model::Mention;
use crate::detect::crisis::Episode;
use crate::detect::Signal;

impl Engine {
    pub(super) fn known_claim(&mut self, m: &Mention, text: &str) -> Option<Signal> {
        let kb = self.kb.as_ref()?;
        let hit = kb.check(text)?;
        let claim = kb.claims[hit.claim].clone();
        let (lang, answer) = kb
            .answer(&claim, &m.lang)
            .map(|(l, a)| (l.to_string(), a.to_string()))
            .unwrap_or_default();
        // Counted over a day: the first match raises, then each doubling.
        let day_ago = m.event_at() - chrono::Duration::hours(24);
        let q = self.claim_counts.entry(claim.id.clone()).or_default();
        q.push_back(m.event_at());
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
            at: m.event_at(),
            evidence: vec![m.id],
            figures,
        })
    }

    pub(super) fn impersonation(&mut self, m: &Mention, text: &str) -> Option<Signal> {
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
            at: m.event_at(),
            evidence: vec![m.id],
            figures: fig(&[
                ("domain", first.domain.clone()),
                ("imitates", first.imitates.clone()),
                ("how", first.how.to_string()),
            ]),
        })
    }

    pub(super) fn reach(&mut self, m: &Mention) -> Option<Signal> {
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
        let velocity = engagement_per_hour(m);
        let fast = self.cfg.high_engagement_per_hour > 0
            && velocity >= self.cfg.high_engagement_per_hour as f64;
        if media.is_none() && !high && !fast {
            return None;
        }
        let severity = if negative(m) { "warning" } else { "info" };
        let (kind, why) = match media {
            Some(x) => ("media", format!("a mention by {x}, on the media list")),
            None if high => (
                "high_reach",
                format!(
                    "a mention by {} with a reach of {reach} (threshold {})",
                    m.author.as_deref().unwrap_or("an account"),
                    self.cfg.high_reach
                ),
            ),
            None => (
                "high_reach",
                format!(
                    "a post gathering {} interactions an hour ({} in all; threshold {} an hour)",
                    velocity.round() as i64,
                    m.engagement.interactions(),
                    self.cfg.high_engagement_per_hour
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
            at: m.event_at(),
            evidence: vec![m.id],
            figures: if media.is_none() && !high {
                fig(&[
                    ("author", m.author.clone().unwrap_or_default()),
                    ("reach", reach.to_string()),
                    ("basis", "engagement".into()),
                    ("interactions", m.engagement.interactions().to_string()),
                    ("per_hour", (velocity.round() as i64).to_string()),
                    ("threshold", self.cfg.high_engagement_per_hour.to_string()),
                ])
            } else {
                fig(&[
                    ("author", m.author.clone().unwrap_or_default()),
                    ("reach", reach.to_string()),
                ])
            },
        })
    }
}

/// Interactions an hour between a post's publication and when it was read (at least a
/// quarter of an hour, so a post read at once is not judged on a few seconds).
fn engagement_per_hour(m: &Mention) -> f64 {
    let hours = (m.first_seen_at - m.event_at()).num_seconds() as f64 / 3600.0;
    m.engagement.interactions() as f64 / hours.max(0.25)
}
