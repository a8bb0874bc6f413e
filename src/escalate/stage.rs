//! The escalate stage: reads what classification and detection wrote, and opens what
//! needs an answer. Classified mentions it has not seen (`escalated_at`) are checked for
//! formal requests and for questions or complaints addressed to the institution; signals
//! it has not seen open (or re-open) one escalation per episode; open escalations past
//! their due time raise one `escalation_overdue` signal each. Every opening is keyed and
//! lands in the same transaction as the mark that it was seen: a crash repeats nothing.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tracing::{debug, info};

use super::config::EscalationConfig;
use super::formal::Detector;
use super::open::{self, Opening};
use super::overdue;
use crate::core::classification::{Sentiment, SentimentLabel, TopicScore};
use crate::core::model::event_time;
use crate::core::signal::{Episode, Signal};
use crate::store::escalations::{FormalDeadlines, NewEscalation, Opened, Unescalated};
use crate::store::Store;

/// Rows taken per transaction.
const BATCH: i64 = 500;

/// The stage, built from `[escalation]`.
pub struct Escalate {
    detector: Detector,
    cfg: EscalationConfig,
    tz: Tz,
    late_after: chrono::Duration,
}

impl Escalate {
    /// `tz` is the time zone of the working-day clocks.
    pub fn new(cfg: EscalationConfig, tz: Tz) -> Escalate {
        Escalate {
            detector: Detector::new(),
            cfg,
            tz,
            late_after: crate::core::model::LATE_AFTER,
        }
    }

    /// How long after it was written a message may be seen before its escalation is late.
    pub fn with_late_after(mut self, late_after: chrono::Duration) -> Escalate {
        self.late_after = late_after;
        self
    }

    /// One round at `now`: new mentions, new signals, then overdue escalations.
    /// Returns how many escalations it opened or re-opened.
    pub async fn round(&self, store: &Store, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut n = self.mentions(store, now).await?;
        n += self.signals(store, now).await?;
        super::seen::record_seen_answers(store).await?;
        self.overdue(store, now).await?;
        Ok(n)
    }

    async fn mentions(&self, store: &Store, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut n = 0;
        loop {
            let batch = store.unescalated_mentions(BATCH).await?;
            if batch.is_empty() {
                return Ok(n);
            }
            let seen: Vec<i64> = batch.iter().map(|m| m.id).collect();
            let openings: Vec<(i64, NewEscalation)> = batch
                .iter()
                .filter_map(|m| {
                    let o = self.for_mention(m)?;
                    let written = event_time(m.published_at, m.first_seen_at);
                    Some((m.id, self.new_escalation(&o, written, now)))
                })
                .collect();
            for (mention, escalation) in store.escalate_mentions(&seen, &openings, now).await? {
                let formal = openings
                    .iter()
                    .find(|(m, _)| *m == mention)
                    .and_then(|(_, e)| e.formal_elements.clone());
                // Never the personal data itself in the logs: only which elements were found.
                info!(escalation, mention, formal_elements = ?formal, "escalation opened");
                n += 1;
            }
        }
    }

    /// The opening for one mention: a possible formal request first, else a question or
    /// complaint addressed to the institution's accounts.
    fn for_mention(&self, m: &Unescalated) -> Option<Opening> {
        // What the institution's own accounts write answers; it asks nothing of them.
        if m.own {
            return None;
        }
        let topic = m
            .topics
            .as_deref()
            .and_then(|t| serde_json::from_str::<Vec<TopicScore>>(t).ok())
            .and_then(|t| t.into_iter().next().map(|t| t.id));
        // A message sent privately comes from its sender: an e-mail's From is the sender's
        // e-mail address even when the body does not repeat it.
        let text = match (&m.author, m.direct) {
            (Some(a), true) => std::borrow::Cow::Owned(format!("{}\n{a}", m.text)),
            _ => std::borrow::Cow::Borrowed(m.text.as_str()),
        };
        if let Some(ident) = self.detector.formal_request(&text) {
            // Where each element is (offsets and how), never the elements themselves.
            debug!(mention = m.id, formal = %ident.explain(), "possible formal request");
            return Some(Opening {
                severity: "warning".into(),
                topic,
                reason:
                    "possible formal request (name, postal address, e-mail and a request given)"
                        .into(),
                mention_ids: vec![m.id],
                formal: Some(ident),
                dedup_key: Some(format!("formal:mention:{}", m.id)),
            });
        }
        let sentiment = m
            .sentiment
            .as_deref()
            .and_then(SentimentLabel::parse)
            .map(|label| Sentiment { label, score: 1.0 });
        if m.direct {
            return Some(open::for_direct(m.id, &m.text, sentiment.as_ref(), topic));
        }
        open::for_mention(m.id, &m.text, sentiment.as_ref(), topic, &self.cfg.handles)
    }

    /// Opens one escalation now (the CLI, tests); None when its key is already open.
    /// Its mentions are marked escalated with it.
    pub async fn open(
        &self,
        store: &Store,
        o: &Opening,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Option<i64>> {
        let new = self.new_escalation(o, at, at);
        let first = o.mention_ids.first().copied().unwrap_or_default();
        let opened = store
            .escalate_mentions(&o.mention_ids, &[(first, new)], at)
            .await?;
        Ok(opened.first().map(|(_, e)| *e))
    }

    /// The escalation for an opening seen `now`, with its clocks started at `at` (when
    /// it was written: a message read late keeps its own deadline, overdue or not).
    pub fn new_escalation(
        &self,
        o: &Opening,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> NewEscalation {
        let at = at.min(now);
        let cal = self.cfg.calendar(self.tz);
        let formal = o.formal.as_ref().filter(|f| f.is_formal_request());
        NewEscalation {
            severity: o.severity.clone(),
            topic: o.topic.clone(),
            reason: o.reason.clone(),
            mention_ids: o.mention_ids.clone(),
            dedup_key: o.dedup_key.clone(),
            opened_at: at,
            seen_at: now,
            late: crate::core::model::is_late(at, now, self.late_after),
            due_at: self.cfg.due(&cal, at, &o.severity, o.topic.as_deref()),
            formal_elements: o
                .formal
                .as_ref()
                .map(|f| f.found().into_iter().map(str::to_string).collect()),
            formal: formal.map(|_| FormalDeadlines {
                ack: cal.add_working_days(at, self.cfg.formal_ack_days),
                receipt: at + chrono::Duration::days(self.cfg.formal_receipt_days as i64),
                decision: cal.add_months(at, self.cfg.formal_decision_months),
            }),
        }
    }

    async fn signals(&self, store: &Store, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut n = 0;
        loop {
            let ids = store.unescalated_signals(BATCH).await?;
            if ids.is_empty() {
                return Ok(n);
            }
            for id in ids {
                let Some(s) = store.signal(id).await? else {
                    continue;
                };
                match self.open_for_signal(store, &s, now).await? {
                    Some(Opened::New(e)) => {
                        info!(escalation = e, signal = id, kind = %s.kind, "escalation opened for a signal");
                        n += 1;
                    }
                    Some(Opened::Reopened(e)) => {
                        info!(escalation = e, signal = id, kind = %s.kind, "escalation re-opened: the story flared up again");
                        n += 1;
                    }
                    _ => {}
                }
            }
        }
    }

    /// Opens (or joins, or re-opens) the escalation of a warning or critical signal's
    /// episode, and marks the signal escalated; None for an info signal.
    pub async fn open_for_signal(
        &self,
        store: &Store,
        s: &Signal,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Opened>> {
        let new = open::for_signal(s).map(|o| self.new_escalation(&o, s.at, now));
        let due = new.as_ref().map_or(now, |e| e.due_at);
        Ok(store.escalate_signal(s.id, new.as_ref(), due).await?)
    }

    /// Raises and stores one `escalation_overdue` signal for each open escalation past
    /// its due time that has none yet; returns them.
    pub async fn overdue(&self, store: &Store, now: DateTime<Utc>) -> anyhow::Result<Vec<Signal>> {
        let mut out = Vec::new();
        for e in store.overdue_escalations(now, BATCH).await? {
            let mut s = overdue::signal(&e, self.tz, now);
            let episode = Episode {
                raised_count: 1,
                open: true,
            };
            s.id = store.save_signal(&s, episode).await?;
            tracing::warn!(escalation = e.id, signal = s.id, "escalation overdue");
            out.push(s);
        }
        Ok(out)
    }
}
