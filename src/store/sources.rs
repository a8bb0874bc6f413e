//! Sources' polling state: validators, cursor, schedule and error count, kept between
//! polls and across restarts.

use chrono::{DateTime, Utc};

use super::{from_ms, ms, Store, StoreError};

/// Polling state kept in the database between polls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    /// `ETag` of the last good response.
    pub etag: Option<String>,
    /// `Last-Modified` of the last good response.
    pub last_modified: Option<String>,
    /// When the source is next due.
    pub next_check_at: Option<DateTime<Utc>>,
    /// Consecutive failures.
    pub error_count: i64,
    /// Last error message.
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// When the last successful poll finished.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The server asked us to wait until then (429/503 Retry-After, or a spent rate limit).
    pub retry_after: Option<DateTime<Utc>>,
    /// Where the source got to (newest id, time or stream position), in its own format.
    pub cursor: Option<String>,
    /// Pages left unread so far because `max_pages` stopped a poll (see `Poll::left_behind`).
    pub pages_left_behind: i64,
}

/// A `source_state` row.
#[derive(sqlx::FromRow)]
struct SourceStateRow {
    etag: Option<String>,
    last_modified: Option<String>,
    next_check_at: Option<i64>,
    error_count: i64,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    last_success_at: Option<i64>,
    retry_after: Option<i64>,
    cursor: Option<String>,
    pages_left_behind: i64,
}

impl From<SourceStateRow> for SourceState {
    fn from(r: SourceStateRow) -> SourceState {
        SourceState {
            etag: r.etag,
            last_modified: r.last_modified,
            next_check_at: r.next_check_at.map(from_ms),
            error_count: r.error_count,
            last_error: r.last_error,
            last_error_at: r.last_error_at.map(from_ms),
            last_success_at: r.last_success_at.map(from_ms),
            retry_after: r.retry_after.map(from_ms),
            cursor: r.cursor,
            pages_left_behind: r.pages_left_behind,
        }
    }
}

impl Store {
    /// Polling state of a source (default when never polled).
    pub async fn source_state(&self, name: &str) -> Result<SourceState, StoreError> {
        let row = sqlx::query_as::<_, SourceStateRow>(
            "SELECT etag, last_modified, next_check_at, error_count, last_error, last_error_at, last_success_at, retry_after, cursor, \
             pages_left_behind FROM source_state WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(SourceState::from).unwrap_or_default())
    }

    /// Saves a source's polling state.
    pub async fn save_source_state(&self, name: &str, s: &SourceState) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            sqlx::query(
                "INSERT INTO source_state (name, etag, last_modified, next_check_at, error_count, last_error, last_error_at, last_success_at, retry_after, cursor, pages_left_behind) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (name) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, \
                 next_check_at = excluded.next_check_at, error_count = excluded.error_count, last_error = excluded.last_error, \
                 last_error_at = excluded.last_error_at, last_success_at = excluded.last_success_at, retry_after = excluded.retry_after, \
                 cursor = excluded.cursor, pages_left_behind = excluded.pages_left_behind",
            )
            .bind(name)
            .bind(s.etag.clone())
            .bind(s.last_modified.clone())
            .bind(s.next_check_at.map(ms))
            .bind(s.error_count)
            .bind(s.last_error.clone())
            .bind(s.last_error_at.map(ms))
            .bind(s.last_success_at.map(ms))
            .bind(s.retry_after.map(ms))
            .bind(s.cursor.clone())
            .bind(s.pages_left_behind)
            .execute(&self.pool)
            .await
            .map(|_| ())
        })
        .await
    }
}
