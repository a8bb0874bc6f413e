//! Signals, their episodes, and what detection wrote for each mention (its story): one
//! detection round lands in one transaction.

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sqlx::Row;

use super::{from_ms, ms, Store, StoreError};
use crate::core::classification::TopicScore;
use crate::core::model::Mention;
use crate::core::signal::{Episode, Signal};

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// What detection concluded from a batch: each mention's story and fingerprint, the
/// signals raised and the episode states, stored together.
#[derive(Debug, Default)]
pub struct Detected {
    /// (mention id, story id, simhash)
    pub stories: Vec<(i64, i64, u64)>,
    /// Signals raised (their ids are set when stored).
    pub signals: Vec<Signal>,
    /// Episode states that changed.
    pub episodes: Vec<(String, Episode)>,
}

/// A detected mention as the engine's counts need it at start.
#[derive(Debug, Clone)]
pub struct CountRow {
    /// When vigie first stored it.
    pub first_seen_at: DateTime<Utc>,
    /// Topic ids.
    pub topics: Vec<String>,
    /// Negative sentiment.
    pub negative: bool,
}

/// A mention with its story, as the story index needs it at start.
#[derive(Debug, Clone)]
pub struct StoryRow {
    /// Story id.
    pub story: i64,
    /// Fingerprint.
    pub simhash: u64,
    /// Canonical link.
    pub url: Option<String>,
    /// Title and text.
    pub text: String,
    /// When vigie first stored it.
    pub first_seen_at: DateTime<Utc>,
}

fn corrupt(what: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        message: e.to_string(),
    }
}

async fn insert_signal(tx: &mut Tx<'_>, s: &Signal) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
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
    .fetch_one(&mut **tx)
    .await
}

async fn upsert_episode(
    tx: &mut Tx<'_>,
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn signal_from_row(r: &sqlx::any::AnyRow) -> Result<Signal, StoreError> {
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
        evidence: serde_json::from_str(&ev).map_err(|e| corrupt("signals.evidence", e))?,
        figures: serde_json::from_str(&fig).map_err(|e| corrupt("signals.figures", e))?,
    })
}

const SIGNAL_COLUMNS: &str =
    "SELECT id, kind, severity, topic, group_key, title, reason, at, evidence, figures FROM signals";

impl Store {
    /// Stores a signal and its episode state together; returns the signal id.
    pub async fn save_signal(&self, s: &Signal, episode: Episode) -> Result<i64, StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let id = insert_signal(&mut tx, s).await?;
        upsert_episode(&mut tx, &s.group_key, episode, s.at).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores what detection concluded at `now` in one transaction; sets the signals' ids.
    pub async fn save_detected(
        &self,
        d: &mut Detected,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if d.stories.is_empty() && d.signals.is_empty() && d.episodes.is_empty() {
            return Ok(());
        }
        let _g = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        for (id, story, hash) in &d.stories {
            sqlx::query("UPDATE mentions SET story_id = $1, simhash = $2 WHERE id = $3")
                .bind(*story)
                .bind(*hash as i64)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        for s in d.signals.iter_mut() {
            s.id = insert_signal(&mut tx, s).await?;
        }
        for (key, e) in &d.episodes {
            upsert_episode(&mut tx, key, *e, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The episode state of a group.
    pub async fn episode(&self, group_key: &str) -> Result<Option<Episode>, StoreError> {
        let row =
            sqlx::query("SELECT raised_count, open FROM signal_episodes WHERE group_key = $1")
                .bind(group_key.to_string())
                .fetch_optional(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        upsert_episode(&mut tx, group_key, e, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every episode state.
    pub async fn episodes(&self) -> Result<Vec<(String, Episode)>, StoreError> {
        let rows = sqlx::query("SELECT group_key, raised_count, open FROM signal_episodes")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    Episode {
                        raised_count: r.try_get::<i64, _>(1)? as usize,
                        open: r.try_get::<i64, _>(2)? != 0,
                    },
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Signals raised at or after `since`, oldest first.
    pub async fn signals(&self, since: Option<DateTime<Utc>>) -> Result<Vec<Signal>, StoreError> {
        let rows = sqlx::query(&format!("{SIGNAL_COLUMNS} WHERE at >= $1 ORDER BY at, id"))
            .bind(since.map(ms).unwrap_or(i64::MIN))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(signal_from_row).collect()
    }

    /// One signal.
    pub async fn signal(&self, id: i64) -> Result<Option<Signal>, StoreError> {
        let row = sqlx::query(&format!("{SIGNAL_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(signal_from_row).transpose()
    }

    /// How many mentions a story has.
    pub async fn story_size(&self, story: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM mentions WHERE story_id = $1")
                .bind(story)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The story of each of `ids` that has one.
    pub async fn stories_of(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(super::BATCH) {
            let sql = format!(
                "SELECT id, story_id FROM mentions WHERE story_id IS NOT NULL AND id IN ({})",
                super::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?);
            }
        }
        Ok(out)
    }

    /// Classified mentions detection has not taken in yet (no story), in id order.
    pub async fn undetected(&self, limit: i64) -> Result<Vec<Mention>, StoreError> {
        self.mentions_where(
            "WHERE story_id IS NULL AND classified_at IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
            0,
            limit,
        )
        .await
    }

    /// Detected mentions first seen at or after `since`, oldest first (at most 100,000).
    pub async fn detected_since(&self, since: DateTime<Utc>) -> Result<Vec<Mention>, StoreError> {
        self.mentions_where(
            "WHERE story_id IS NOT NULL AND first_seen_at >= $1 ORDER BY first_seen_at, id LIMIT $2",
            ms(since),
            100_000,
        )
        .await
    }

    /// Detected mentions first seen at or after `since`, in id order, streamed (a million
    /// stored mentions must not become a million rows in memory).
    pub fn detected_counts(
        &self,
        since: DateTime<Utc>,
    ) -> BoxStream<'_, Result<CountRow, StoreError>> {
        sqlx::query(
            "SELECT first_seen_at, topics, sentiment FROM mentions WHERE first_seen_at >= $1 AND story_id IS NOT NULL ORDER BY id",
        )
        .bind(ms(since))
        .fetch(&self.pool)
        .map_err(StoreError::from)
        .and_then(|r| async move {
            let topics: Option<String> = r.try_get(1)?;
            let topics: Vec<TopicScore> = topics
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            let sentiment: Option<String> = r.try_get(2)?;
            Ok(CountRow {
                first_seen_at: from_ms(r.try_get(0)?),
                topics: topics.into_iter().map(|t| t.id).collect(),
                negative: sentiment.as_deref() == Some("negative"),
            })
        })
        .boxed()
    }

    /// Mentions with a story first seen at or after `since`, in id order, streamed.
    pub fn story_rows(&self, since: DateTime<Utc>) -> BoxStream<'_, Result<StoryRow, StoreError>> {
        sqlx::query(
            "SELECT story_id, simhash, url, title, text, first_seen_at FROM mentions WHERE first_seen_at >= $1 AND story_id IS NOT NULL ORDER BY id",
        )
        .bind(ms(since))
        .fetch(&self.pool)
        .map_err(StoreError::from)
        .and_then(|r| async move {
            let title: String = r.try_get(3)?;
            let text: String = r.try_get(4)?;
            Ok(StoryRow {
                story: r.try_get(0)?,
                simhash: r.try_get::<i64, _>(1)? as u64,
                url: r.try_get(2)?,
                text: format!("{title}\n{text}"),
                first_seen_at: from_ms(r.try_get(5)?),
            })
        })
        .boxed()
    }
}
