//! The detect stage: the engine as the daemon runs it. Warmed from what the store says
//! was already detected, it takes in classified mentions without a story (its durable
//! cursor), then asks the windows what they say at `now`. Each batch's stories, signals
//! and episode states land in one transaction, so a crash repeats nothing: on restart the
//! engine is warmed again from exactly what was stored.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use super::crisis::SignalsConfig;
use super::engine::Engine;
use super::knowledge::KnowledgeBase;
use crate::core::signal::{Episode, Signal};
use crate::store::signals::Detected;
use crate::store::Store;

/// Mentions taken in per transaction.
const BATCH: i64 = 1000;

/// The engine and its store.
pub struct Detection {
    /// The detectors.
    pub engine: Engine,
    /// The knowledge file's entries, to which the answers written on the page are added.
    file_kb: Option<KnowledgeBase>,
    /// The stored answers' version last read (see `Store::approved_answers_version`).
    answers_seen: Option<(i64, i64)>,
}

impl Detection {
    /// Builds the engine and warms it with the store's recent history as of `now`.
    pub async fn start(
        store: &Store,
        mut engine: Engine,
        cfg: &SignalsConfig,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Detection> {
        let since = now - chrono::Duration::days(cfg.baseline_days as i64 + 1);
        let mut rows = store.detected_counts(since);
        while let Some(r) = rows.try_next().await? {
            engine.warm(r.at, &r.topics, r.negative);
        }
        drop(rows);
        let horizon = now - chrono::Duration::from_std(cfg.story_horizon)?;
        let mut rows = store.story_rows(horizon);
        while let Some(r) = rows.try_next().await? {
            engine.warm_story(
                r.story,
                r.simhash,
                r.url.as_deref(),
                &r.text,
                r.first_seen_at,
            );
        }
        drop(rows);
        // The mentions still inside the windows, so a restart in the middle of a burst
        // sees the whole burst.
        for m in store.detected_since(now - engine.recent_span()).await? {
            engine.warm_recent(m);
        }
        engine.episodes.extend(store.episodes().await?);
        let file_kb = engine.knowledge().cloned();
        let mut d = Detection {
            engine,
            file_kb,
            answers_seen: None,
        };
        d.refresh_knowledge(store).await?;
        Ok(d)
    }

    /// Takes in the approved answers written on the page since the last look, so that
    /// matching mentions get them from then on.
    async fn refresh_knowledge(&mut self, store: &Store) -> anyhow::Result<()> {
        let version = store.approved_answers_version().await?;
        if self.answers_seen == Some(version) {
            return Ok(());
        }
        let approved = store.approved_answers().await?;
        let kb = KnowledgeBase::with_approved(self.file_kb.as_ref(), &approved)?;
        self.engine.set_knowledge(kb);
        self.answers_seen = Some(version);
        Ok(())
    }

    /// One round at `now`: takes in the classified mentions without a story (stories,
    /// per-mention signals), evaluates the windows, stores signals and episodes. Returns
    /// the new signals.
    pub async fn round(
        &mut self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Signal>> {
        self.refresh_knowledge(store).await?;
        let mut out = Vec::new();
        loop {
            let batch = store.undetected(BATCH).await?;
            if batch.is_empty() {
                break;
            }
            let mut raised = Vec::new();
            let mut d = Detected::default();
            for m in &batch {
                let (story, hash) = self.engine.story(m);
                d.stories.push((m.id, story, hash));
                raised.extend(self.engine.observe(m));
            }
            self.save(store, d, raised, now, &mut out).await?;
        }
        let raised = self.engine.tick(now);
        self.save(store, Detected::default(), raised, now, &mut out)
            .await?;
        Ok(out)
    }

    async fn save(
        &mut self,
        store: &Store,
        mut d: Detected,
        raised: Vec<Signal>,
        now: DateTime<Utc>,
        out: &mut Vec<Signal>,
    ) -> anyhow::Result<()> {
        for s in &raised {
            self.engine.dirty.insert(s.group_key.clone());
        }
        d.episodes = self
            .engine
            .dirty
            .drain()
            .map(|k| {
                let e = self.engine.episodes.get(&k).copied().unwrap_or(Episode {
                    raised_count: 1,
                    open: true,
                });
                (k, e)
            })
            .collect();
        d.signals = raised;
        store.save_detected(&mut d, now).await?;
        for s in &d.signals {
            tracing::warn!(signal = s.id, kind = %s.kind, severity = %s.severity, "signal raised");
        }
        out.append(&mut d.signals);
        Ok(())
    }
}
