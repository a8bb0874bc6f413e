//! Signals and episodes in the store, and one round of detection.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::crisis::{Episode, Vocabulary};
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

/// One detection round at `now`: evaluates the crisis vocabulary over the window and
/// stores what it raises. Returns the new signals.
pub async fn detect(
    store: &Store,
    vocab: &Vocabulary,
    window: std::time::Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Signal>> {
    let since = now - chrono::Duration::from_std(window)?;
    let mentions = store.mentions(Some(since), 100_000).await?;
    // One group today ("crisis:<topic>"): find its key from a dry evaluation first.
    let (probe, _) = vocab.evaluate(&mentions, now, None);
    let key = probe
        .as_ref()
        .map(|s| s.group_key.clone())
        .unwrap_or_else(|| "crisis:all".into());
    let episode = store.episode(&key).await?;
    let (signal, next) = vocab.evaluate(&mentions, now, episode);
    let mut out = Vec::new();
    match (signal, next) {
        (Some(mut s), Some(e)) => {
            s.id = store.save_signal(&s, e).await?;
            tracing::warn!(signal = s.id, kind = %s.kind, severity = %s.severity, reason = %s.reason, "signal raised");
            out.push(s);
        }
        (None, Some(e)) if Some(e) != episode => store.save_episode(&key, e, now).await?,
        _ => {}
    }
    Ok(out)
}
