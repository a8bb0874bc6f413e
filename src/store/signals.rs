//! Signals, their episodes, and what detection wrote for each mention (its story): one
//! detection round lands in one transaction.

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

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
    /// When it was written (event time).
    pub at: DateTime<Utc>,
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

#[derive(sqlx::FromRow)]
struct SignalRow {
    id: i64,
    kind: String,
    severity: String,
    topic: Option<String>,
    group_key: String,
    title: String,
    reason: String,
    at: i64,
    evidence: String,
    figures: String,
}

impl TryFrom<SignalRow> for Signal {
    type Error = StoreError;

    fn try_from(r: SignalRow) -> Result<Signal, StoreError> {
        Ok(Signal {
            id: r.id,
            kind: r.kind,
            severity: r.severity,
            topic: r.topic,
            group_key: r.group_key,
            title: r.title,
            reason: r.reason,
            at: from_ms(r.at),
            evidence: serde_json::from_str(&r.evidence)
                .map_err(|e| corrupt("signals.evidence", e))?,
            figures: serde_json::from_str(&r.figures).map_err(|e| corrupt("signals.figures", e))?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EpisodeRow {
    group_key: String,
    raised_count: i64,
    open: i64,
}

impl EpisodeRow {
    fn episode(&self) -> Episode {
        Episode {
            raised_count: self.raised_count as usize,
            open: self.open != 0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CountSql {
    first_seen_at: i64,
    published_at: Option<i64>,
    topics: Option<String>,
    sentiment: Option<String>,
}

#[derive(sqlx::FromRow)]
struct StorySql {
    story_id: i64,
    simhash: i64,
    url: Option<String>,
    title: String,
    text: String,
    first_seen_at: i64,
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
        let row = sqlx::query_as::<_, EpisodeRow>(
            "SELECT group_key, raised_count, open FROM signal_episodes WHERE group_key = $1",
        )
        .bind(group_key.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.episode()))
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
        let rows = sqlx::query_as::<_, EpisodeRow>(
            "SELECT group_key, raised_count, open FROM signal_episodes",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.group_key.clone(), r.episode()))
            .collect())
    }

    /// Signals raised at or after `since`, oldest first.
    pub async fn signals(&self, since: Option<DateTime<Utc>>) -> Result<Vec<Signal>, StoreError> {
        let rows = sqlx::query_as::<_, SignalRow>(&format!(
            "{SIGNAL_COLUMNS} WHERE at >= $1 ORDER BY at, id"
        ))
        .bind(since.map(ms).unwrap_or(i64::MIN))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Signal::try_from).collect()
    }

    /// One signal.
    pub async fn signal(&self, id: i64) -> Result<Option<Signal>, StoreError> {
        let row = sqlx::query_as::<_, SignalRow>(&format!("{SIGNAL_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Signal::try_from).transpose()
    }

    /// How many mentions a story has.
    pub async fn story_size(&self, story: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM mentions WHERE story_id = $1 AND deleted_at IS NULL",
        )
        .bind(story)
        .fetch_one(&self.pool)
        .await?)
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
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(&self.pool).await?);
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
            "WHERE story_id IS NOT NULL AND first_seen_at >= $1 AND deleted_at IS NULL ORDER BY first_seen_at, id LIMIT $2",
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
        sqlx::query_as::<_, CountSql>(
            "SELECT first_seen_at, published_at, topics, sentiment FROM mentions WHERE first_seen_at >= $1 AND story_id IS NOT NULL AND deleted_at IS NULL ORDER BY id",
        )
        .bind(ms(since))
        .fetch(&self.pool)
        .map_err(StoreError::from)
        .map_ok(|r| {
            let topics: Vec<TopicScore> = r
                .topics
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            CountRow {
                at: crate::core::model::event_time(
                    r.published_at.map(from_ms),
                    from_ms(r.first_seen_at),
                ),
                topics: topics.into_iter().map(|t| t.id).collect(),
                negative: r.sentiment.as_deref() == Some("negative"),
            }
        })
        .boxed()
    }

    /// Mentions with a story first seen at or after `since`, in id order, streamed.
    pub fn story_rows(&self, since: DateTime<Utc>) -> BoxStream<'_, Result<StoryRow, StoreError>> {
        sqlx::query_as::<_, StorySql>(
            "SELECT story_id, simhash, url, title, text, first_seen_at FROM mentions WHERE first_seen_at >= $1 AND story_id IS NOT NULL AND deleted_at IS NULL ORDER BY id",
        )
        .bind(ms(since))
        .fetch(&self.pool)
        .map_err(StoreError::from)
        .map_ok(|r| StoryRow {
            story: r.story_id,
            simhash: r.simhash as u64,
            url: r.url,
            text: format!("{}\n{}", r.title, r.text),
            first_seen_at: from_ms(r.first_seen_at),
        })
        .boxed()
    }
}
