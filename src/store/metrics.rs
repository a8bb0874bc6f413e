//! The figures `/metrics` exposes, read from the database at each scrape so that every
//! instance sharing a PostgreSQL database reports the same ones.

use chrono::{DateTime, Utc};

use super::{from_ms, ms, Store, StoreError};

/// Mentions stored, recent and waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct MentionCounts {
    /// Mentions in the database.
    pub stored: i64,
    /// First seen at or after the `since` asked for.
    pub recent: i64,
    /// Waiting for classification.
    pub unclassified: i64,
    /// Classified, waiting for the signals stage.
    pub undetected: i64,
}

/// How a source's polls are going.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHealth {
    /// Source name.
    pub name: String,
    /// Failed polls since its last success.
    pub error_count: i64,
    /// When it was last polled successfully.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Pages left unread because `max_pages` stopped a poll.
    pub pages_left_behind: i64,
}

#[derive(sqlx::FromRow)]
struct SourceHealthRow {
    name: String,
    error_count: i64,
    last_success_at: Option<i64>,
    pages_left_behind: i64,
}

impl Store {
    /// Mentions stored, first seen since `since`, and not yet classified.
    pub async fn mention_counts(&self, since: DateTime<Utc>) -> Result<MentionCounts, StoreError> {
        Ok(sqlx::query_as::<_, MentionCounts>(
            "SELECT COUNT(*) AS stored, COALESCE(SUM(CASE WHEN first_seen_at >= $1 THEN 1 ELSE 0 END), 0) AS recent, \
             COALESCE(SUM(CASE WHEN classified_at IS NULL THEN 1 ELSE 0 END), 0) AS unclassified, \
             COALESCE(SUM(CASE WHEN classified_at IS NOT NULL AND story_id IS NULL THEN 1 ELSE 0 END), 0) AS undetected FROM mentions",
        )
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every polled source's error count and last success.
    pub async fn source_health(&self) -> Result<Vec<SourceHealth>, StoreError> {
        let rows = sqlx::query_as::<_, SourceHealthRow>(
            "SELECT name, error_count, last_success_at, pages_left_behind FROM source_state",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SourceHealth {
                name: r.name,
                error_count: r.error_count,
                last_success_at: r.last_success_at.map(from_ms),
                pages_left_behind: r.pages_left_behind,
            })
            .collect())
    }

    /// E-mails in the outbox per state (states without any are absent).
    pub async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as::<_, (String, i64)>("SELECT state, COUNT(*) FROM outbox GROUP BY state")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// From written (published) to first seen, in milliseconds, for mentions first seen
    /// since `since` that carry a publication time.
    pub async fn lateness(&self, since: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT first_seen_at - published_at FROM mentions WHERE first_seen_at >= $1 AND published_at IS NOT NULL",
        )
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?)
    }

    /// From first seen to classified, in milliseconds, for mentions classified since `since`.
    pub async fn classification_latencies(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT classified_at - first_seen_at FROM mentions WHERE classified_at >= $1",
        )
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?)
    }
}
