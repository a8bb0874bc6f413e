//! Signals and episodes in the store, and one round of detection.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::Row;

use super::crisis::{Episode, SignalsConfig};
use super::engine::Engine;
use super::Signal;
use crate::store::{from_ms, ms, Store, StoreError};

impl Store {
    /// Stores a signal and its episode state together; returns the signal id.
    pub async fn save_signal(&self, s: &Signal, episode: Episode) -> Result<i64, StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO signals (kind, severity, topic, group_key, title, reason, at, evidence, figures) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(s.kind.clone())
        .bind(s.severity.clone())
        .bind(s.topic.clone())
        .bind(s.group_key.clone())
        .bind(s.title.clone())
        .bind(s.reason.clone())
        .bind(ms(s.at))
        .bind(serde_json::to_string(&s.evidence).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(&s.figures).unwrap_or_else(|_| "{}".into()))
        .fetch_one(&mut *tx)
        .await?;
        upsert_episode(&mut tx, &s.group_key, episode, s.at).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The episode state of a group.
    pub async fn episode(&self, group_key: &str) -> Result<Option<Episode>, StoreError> {
        let row =
            sqlx::query("SELECT raised_count, open FROM signal_episodes WHERE group_key = $1")
                .bind(group_key.to_string())
                .fetch_optional(self.pool())
                .await?;
        Ok(match row {
            Some(r) => Some(Episode {
                raised_count: r.try_get::<i64, _>(0)? as usize,
                open: r.try_get::<i64, _>(1)? != 0,
            }),
            None => None,
        })
    }

    /// Saves an episode state without a signal (e.g. when it closes).
    pub async fn save_episode(
        &self,
        group_key: &str,
        e: Episode,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        upsert_episode(&mut tx, group_key, e, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signals raised at or after `since`, oldest first.
    pub async fn signals(&self, since: Option<DateTime<Utc>>) -> Result<Vec<Signal>, StoreError> {
        let rows = sqlx::query("SELECT id, kind, severity, topic, group_key, title, reason, at, evidence, figures FROM signals WHERE at >= $1 ORDER BY at, id")
            .bind(since.map(ms).unwrap_or(i64::MIN))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let ev: String = r.try_get(8)?;
                let fig: String = r.try_get(9)?;
                Ok(Signal {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    severity: r.try_get(2)?,
                    topic: r.try_get(3)?,
                    group_key: r.try_get(4)?,
                    title: r.try_get(5)?,
                    reason: r.try_get(6)?,
                    at: from_ms(r.try_get(7)?),
                    evidence: serde_json::from_str(&ev).map_err(|e| StoreError::Corrupt {
                        what: "signals.evidence",
                        message: e.to_string(),
                    })?,
                    figures: serde_json::from_str(&fig).map_err(|e| StoreError::Corrupt {
                        what: "signals.figures",
                        message: e.to_string(),
                    })?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
    }
}

async fn upsert_episode(
    tx: &mut sqlx::AnyConnection,
    key: &str,
    e: Episode,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signal_episodes (group_key, raised_count, last_at, open) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (group_key) DO UPDATE SET raised_count = excluded.raised_count, last_at = excluded.last_at, open = excluded.open",
    )
    .bind(key.to_string())
    .bind(e.raised_count as i64)
    .bind(ms(at))
    .bind(i64::from(e.open))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The engine as the daemon runs it: warmed from the store, then fed with each newly
/// classified mention; what it raises and decides is stored.
pub struct Detection {
    /// The detectors.
    pub engine: Engine,
    /// Last mention id taken in.
    pub cursor: i64,
}

impl Detection {
    /// Builds the engine and warms it with the store's recent history.
    pub async fn start(
        store: &Store,
        engine: Engine,
        cfg: &SignalsConfig,
    ) -> anyhow::Result<Detection> {
        let mut engine = engine;
        let now = Utc::now();
        let since = now - chrono::Duration::days(cfg.baseline_days as i64 + 1);
        // Streamed: a million stored mentions must not become a million rows in memory.
        let mut rows = sqlx::query(
            "SELECT id, first_seen_at, topics, sentiment FROM mentions WHERE first_seen_at >= $1 AND classified_at IS NOT NULL ORDER BY id",
        )
        .bind(ms(since))
        .fetch(store.pool());
        let mut cursor = 0;
        while let Some(r) = rows.try_next().await? {
            let topics: Option<String> = r.try_get(2)?;
            let topics: Vec<crate::core::classification::TopicScore> = topics
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            let sentiment: Option<String> = r.try_get(3)?;
            engine.warm(
                from_ms(r.try_get(1)?),
                &topics.into_iter().map(|t| t.id).collect::<Vec<_>>(),
                sentiment.as_deref() == Some("negative"),
            );
            cursor = cursor.max(r.try_get::<i64, _>(0)?);
        }
        let horizon = now - chrono::Duration::from_std(cfg.story_horizon)?;
        drop(rows);
        let mut rows = sqlx::query(
            "SELECT story_id, simhash, url, title, text, first_seen_at FROM mentions WHERE first_seen_at >= $1 AND story_id IS NOT NULL ORDER BY id",
        )
        .bind(ms(horizon))
        .fetch(store.pool());
        while let Some(r) = rows.try_next().await? {
            let title: String = r.try_get(3)?;
            let text: String = r.try_get(4)?;
            let url: Option<String> = r.try_get(2)?;
            engine.warm_story(
                r.try_get(0)?,
                r.try_get::<i64, _>(1)? as u64,
                url.as_deref(),
                &format!("{title}\n{text}"),
                from_ms(r.try_get(5)?),
            );
        }
        drop(rows);
        // Mentions classified but never seen by the engine (the daemon stopped before its
        // signals round): take them in now rather than count them twice.
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(id) FROM mentions WHERE classified_at IS NOT NULL AND story_id IS NULL",
        )
        .fetch_one(store.pool())
        .await?;
        if let Some(p) = pending {
            cursor = cursor.min(p - 1);
        }
        for r in sqlx::query("SELECT group_key, raised_count, open FROM signal_episodes")
            .fetch_all(store.pool())
            .await?
        {
            engine.episodes.insert(
                r.try_get(0)?,
                Episode {
                    raised_count: r.try_get::<i64, _>(1)? as usize,
                    open: r.try_get::<i64, _>(2)? != 0,
                },
            );
        }
        Ok(Detection { engine, cursor })
    }

    /// One round at `now`: takes in the newly classified mentions (stories, per-mention
    /// signals), evaluates the windows, stores signals and episodes. Returns the new signals.
    pub async fn round(
        &mut self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Signal>> {
        let mut raised = Vec::new();
        loop {
            let batch = store.classified_after(self.cursor, 1000).await?;
            if batch.is_empty() {
                break;
            }
            let mut stories = Vec::with_capacity(batch.len());
            for m in &batch {
                let (story, hash) = self.engine.story(m);
                stories.push((m.id, story, hash));
                raised.extend(self.engine.observe(m));
                self.cursor = self.cursor.max(m.id);
            }
            store.set_stories(&stories).await?;
        }
        raised.extend(self.engine.tick(now));
        let mut out = Vec::new();
        for mut s in raised {
            let ep = self
                .engine
                .episodes
                .get(&s.group_key)
                .copied()
                .unwrap_or(Episode {
                    raised_count: 1,
                    open: true,
                });
            self.engine.dirty.remove(&s.group_key);
            s.id = store.save_signal(&s, ep).await?;
            tracing::warn!(signal = s.id, kind = %s.kind, severity = %s.severity, reason = %s.reason, "signal raised");
            out.push(s);
        }
        let dirty: Vec<String> = self.engine.dirty.drain().collect();
        for key in dirty {
            if let Some(e) = self.engine.episodes.get(&key).copied() {
                store.save_episode(&key, e, now).await?;
            }
        }
        Ok(out)
    }
}

impl Store {
    /// How many mentions a story has.
    pub async fn story_size(&self, story: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM mentions WHERE story_id = $1")
                .bind(story)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Classified mentions with an id above `cursor`, in id order.
    pub async fn classified_after(
        &self,
        cursor: i64,
        limit: i64,
    ) -> Result<Vec<crate::core::model::Mention>, StoreError> {
        self.mentions_where(
            "WHERE id > $1 AND classified_at IS NOT NULL ORDER BY id LIMIT $2",
            cursor,
            limit,
        )
        .await
    }

    /// Records each mention's story and fingerprint, in one transaction.
    pub async fn set_stories(&self, rows: &[(i64, i64, u64)]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let _g = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        for (id, story, hash) in rows {
            sqlx::query("UPDATE mentions SET story_id = $1, simhash = $2 WHERE id = $3")
                .bind(*story)
                .bind(*hash as i64)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
