//! Store: everything vigie keeps, in SQLite (default) or PostgreSQL.
//!
//! Both backends go through sqlx's `Any` driver with the same SQL (the dialects we use,
//! `$n` parameters, `ON CONFLICT`, `RETURNING`, partial indexes, are common to both);
//! what differs lives in `sqlite.rs` and `postgres.rs`, with a migrations folder each.

pub mod alerts;
pub mod config;
pub mod escalations;
pub mod leader;
pub mod outbox;
pub mod postgres;
pub mod signals;
pub mod sqlite;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::core::classification::{Output, Sentiment, SentimentLabel, TopicScore};
use crate::core::model::{Mention, NewMention};
use crate::sources::SourceState;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded file database.
    Sqlite,
    /// Server database, for several instances.
    Postgres,
}

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Bad URL or path.
    #[error("storage: {0}")]
    Config(String),
    /// Stored data could not be read back.
    #[error("corrupt stored value in {what}: {message}")]
    Corrupt {
        /// Column.
        what: &'static str,
        /// Parser message.
        message: String,
    },
}

/// Result of storing one mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// The mention's id.
    pub id: i64,
    /// True when the mention is new; false when it was already known (maybe from another source).
    pub new: bool,
}

/// A mention waiting for classification.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Mention id.
    pub id: i64,
    /// Title and text.
    pub text: String,
    /// Language identified at ingestion.
    pub lang: String,
}

/// The database handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer: serialising writes in-process avoids lock-upgrade failures.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// The SQLite file, for the daemon's lock beside it.
    file: Option<std::path::PathBuf>,
}

/// Unix milliseconds.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// From Unix milliseconds.
pub fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// "$start, $start+1, …": `n` numbered parameters.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const LOCK_RETRIES: u32 = 5;

/// Parameters per statement: well under SQLite's and PostgreSQL's limits.
pub(crate) const BATCH: usize = 900;

fn is_locked(e: &sqlx::Error) -> bool {
    let s = e.to_string();
    s.contains("database is locked")
        || s.contains("SQLITE_BUSY")
        || s.contains("could not serialize")
        || s.contains("deadlock detected")
}

fn is_locked_migrate(e: &sqlx::migrate::MigrateError) -> bool {
    let s = e.to_string();
    s.contains("database is locked") || s.contains("SQLITE_BUSY")
}

impl Store {
    /// Opens (creating if needed) and migrates the database named by `url`;
    /// relative SQLite paths are resolved against `base`.
    pub async fn open(url: &str, base: &Path) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, real_url) = if url.starts_with("sqlite:") {
            (
                Backend::Sqlite,
                sqlite::url(url, base).map_err(|e| {
                    StoreError::Config(format!("cannot create the database folder: {e}"))
                })?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::Config(format!(
                "unsupported storage url {}",
                crate::core::config::redact_url(url)
            )));
        };
        let opts = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    let stmts = match backend {
                        Backend::Sqlite => sqlite::PRAGMAS,
                        Backend::Postgres => postgres::SETUP,
                    };
                    for s in stmts {
                        sqlx::query(s).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        let pool = opts.connect(&real_url).await?;
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        // Several processes may open a new SQLite file at once (the daemon, the CLI): the
        // loser of the race fails in a rolled-back transaction, and a retry finds the
        // migration applied. PostgreSQL serialises migrations with an advisory lock.
        let mut attempt = 0;
        loop {
            match migrator.run(&pool).await {
                Ok(()) => break,
                // ALTER TABLE ... ADD COLUMN (0007, 0008) loses the race as "duplicate column".
                Err(e)
                    if backend == Backend::Sqlite
                        && attempt < 10
                        && (e.to_string().contains("already exists")
                            || e.to_string().contains("duplicate column name"))
                        || is_locked_migrate(&e) && attempt < 10 =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let file = match backend {
            Backend::Sqlite => real_url
                .strip_prefix("sqlite://")
                .map(|p| std::path::PathBuf::from(p.split('?').next().unwrap_or(p))),
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            backend,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            file,
        })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for modules that own their tables.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Takes the in-process write lock (SQLite only; PostgreSQL handles its own).
    pub async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    /// Closes the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Polling state of a source (default when never polled).
    pub async fn source_state(&self, name: &str) -> Result<SourceState, StoreError> {
        let row = sqlx::query(
            "SELECT etag, last_modified, next_check_at, error_count, last_error, last_error_at, last_success_at, retry_after, cursor \
             FROM source_state WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => SourceState::default(),
            Some(r) => SourceState {
                etag: r.try_get(0)?,
                last_modified: r.try_get(1)?,
                next_check_at: r.try_get::<Option<i64>, _>(2)?.map(from_ms),
                error_count: r.try_get(3)?,
                last_error: r.try_get(4)?,
                last_error_at: r.try_get::<Option<i64>, _>(5)?.map(from_ms),
                last_success_at: r.try_get::<Option<i64>, _>(6)?.map(from_ms),
                retry_after: r.try_get::<Option<i64>, _>(7)?.map(from_ms),
                cursor: r.try_get(8)?,
            },
        })
    }

    /// Saves a source's polling state.
    pub async fn save_source_state(&self, name: &str, s: &SourceState) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            sqlx::query(
                "INSERT INTO source_state (name, etag, last_modified, next_check_at, error_count, last_error, last_error_at, last_success_at, retry_after, cursor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (name) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, \
                 next_check_at = excluded.next_check_at, error_count = excluded.error_count, last_error = excluded.last_error, \
                 last_error_at = excluded.last_error_at, last_success_at = excluded.last_success_at, retry_after = excluded.retry_after, \
                 cursor = excluded.cursor",
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
            .execute(&self.pool)
            .await
            .map(|_| ())
        })
        .await
    }

    /// Runs `f` again while the database reports a lock or serialisation conflict.
    async fn retry_locked<T, F, Fut>(&self, mut f: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
    {
        let mut attempt = 0;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) if is_locked(&e) && attempt < LOCK_RETRIES => {
                    attempt += 1;
                    tracing::warn!(attempt, error = %e, "database busy, retrying");
                    tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(attempt))).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Stores the mentions of one poll in one transaction: each is new, or attached
    /// to the mention that already has one of its keys. All or nothing.
    pub async fn ingest(
        &self,
        mentions: &[NewMention],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, StoreError> {
        if mentions.is_empty() {
            return Ok(Vec::new());
        }
        let _g = self.write_guard().await;
        for attempt in 1.. {
            match self
                .retry_locked(|| self.ingest_once(mentions, seen_at))
                .await?
            {
                Some(done) => return Ok(done),
                // Another instance stored one of these mentions meanwhile: the next try finds it.
                None if attempt < 5 => {
                    tracing::debug!(attempt, "dedup key taken concurrently, retrying")
                }
                None => break,
            }
        }
        Err(StoreError::Config(
            "dedup keys kept conflicting with another instance after 5 tries".into(),
        ))
    }

    /// One try; `Ok(None)` when a concurrent writer took one of our keys first.
    /// Statements are batched (one key lookup, multi-row inserts): per-statement
    /// round trips, not SQLite itself, are what limits ingestion speed.
    async fn ingest_once(
        &self,
        mentions: &[NewMention],
        seen_at: DateTime<Utc>,
    ) -> Result<Option<Vec<Ingested>>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let now = ms(seen_at);
        let all_keys: Vec<&String> = mentions.iter().flat_map(|m| m.keys.iter()).collect();
        let mut known: HashMap<String, i64> = HashMap::new();
        for chunk in all_keys.chunks(BATCH) {
            let sql = format!(
                "SELECT key, mention_id FROM mention_keys WHERE key IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            for k in chunk {
                q = q.bind((*k).clone());
            }
            known.extend(q.fetch_all(&mut *tx).await?);
        }
        let mut out = Vec::with_capacity(mentions.len());
        // Keys to insert, with whether they belong to a mention created in this transaction.
        let mut new_keys: Vec<(String, i64, bool)> = Vec::new();
        for m in mentions {
            let existing = m.keys.iter().find_map(|k| known.get(k).copied());
            let (id, new) = match existing {
                Some(id) => (id, false),
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO mentions (source, url, title, text, author, reach, published_at, first_seen_at, lang, lang_confidence, matched) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    )
                    .bind(m.source.clone())
                    .bind(m.url.clone())
                    .bind(m.title.clone())
                    .bind(m.text.clone())
                    .bind(m.author.clone())
                    .bind(m.reach)
                    .bind(m.published_at.map(ms))
                    .bind(now)
                    .bind(m.lang.clone())
                    .bind(m.lang_confidence)
                    .bind(serde_json::to_string(&m.matched).unwrap_or_else(|_| "[]".into()))
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, true)
                }
            };
            for k in &m.keys {
                if !known.contains_key(k) {
                    known.insert(k.clone(), id);
                    new_keys.push((k.clone(), id, new));
                }
            }
            out.push(Ingested { id, new });
        }
        for chunk in new_keys.chunks(BATCH / 2) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!("INSERT INTO mention_keys (key, mention_id) VALUES {} ON CONFLICT (key) DO NOTHING RETURNING key", values.join(", "));
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for (k, id, _) in chunk {
                q = q.bind(k.clone()).bind(*id);
            }
            let inserted: std::collections::HashSet<String> =
                q.fetch_all(&mut *tx).await?.into_iter().collect();
            // A key of a mention we just created was taken by a concurrent writer: start over.
            if chunk
                .iter()
                .any(|(k, _, new)| *new && !inserted.contains(k))
            {
                tx.rollback().await?;
                return Ok(None);
            }
        }
        let pairs: Vec<(i64, &str)> = out
            .iter()
            .zip(mentions)
            .map(|(o, m)| (o.id, m.source.as_str()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in pairs.chunks(BATCH / 3) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO mention_sources (mention_id, source, seen_at) VALUES {} ON CONFLICT (mention_id, source) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (id, source) in chunk {
                q = q.bind(*id).bind(source.to_string()).bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Some(out))
    }

    /// Stored mentions first seen at or after `since`, oldest first.
    pub async fn mentions(
        &self,
        since: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<Mention>, StoreError> {
        let rows = sqlx::query(&format!(
            "{MENTION_COLUMNS} WHERE first_seen_at >= $1 ORDER BY first_seen_at, id LIMIT $2"
        ))
        .bind(since.map(ms).unwrap_or(i64::MIN))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        self.with_sources(rows).await
    }

    /// Mentions selected by a `WHERE ... ORDER BY ... LIMIT $2` clause with `$1` bound to `a`.
    pub async fn mentions_where(
        &self,
        clause: &str,
        a: i64,
        limit: i64,
    ) -> Result<Vec<Mention>, StoreError> {
        let rows = sqlx::query(&format!("{MENTION_COLUMNS} {clause}"))
            .bind(a)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.with_sources(rows).await
    }

    /// Mentions by id, in the order given (unknown ids are skipped).
    pub async fn mentions_by_id(&self, ids: &[i64]) -> Result<Vec<Mention>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{MENTION_COLUMNS} WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut found = self.with_sources(rows).await?;
        found.sort_by_key(|m| ids.iter().position(|i| *i == m.id));
        Ok(found)
    }

    async fn with_sources(&self, rows: Vec<AnyRow>) -> Result<Vec<Mention>, StoreError> {
        let mut out: Vec<Mention> = rows
            .iter()
            .map(mention_from_row)
            .collect::<Result<_, _>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        for chunk in out.chunks_mut(500) {
            let sql = format!(
                "SELECT mention_id, source FROM mention_sources WHERE mention_id IN ({}) ORDER BY seen_at, source",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for m in chunk.iter() {
                q = q.bind(m.id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let id: i64 = r.try_get(0)?;
                let src: String = r.try_get(1)?;
                if let Some(m) = chunk.iter_mut().find(|m| m.id == id) {
                    if !m.sources.contains(&src) {
                        m.sources.push(src);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Number of stored mentions.
    pub async fn count_mentions(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM mentions")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Up to `limit` mentions not yet classified, oldest first.
    pub async fn unclassified(&self, limit: i64) -> Result<Vec<Pending>, StoreError> {
        let rows = sqlx::query("SELECT id, title, text, lang FROM mentions WHERE classified_at IS NULL ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let title: String = r.try_get(1)?;
                let text: String = r.try_get(2)?;
                Ok(Pending {
                    id: r.try_get(0)?,
                    text: if text.is_empty() {
                        title
                    } else {
                        format!("{title}\n{text}")
                    },
                    lang: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Saves classification results for a batch, in one transaction.
    pub async fn save_classifications(
        &self,
        results: &[(i64, Output)],
        model: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            let mut tx = self.pool.begin().await?;
            for (id, out) in results {
                sqlx::query("UPDATE mentions SET sentiment = $1, sentiment_score = $2, topics = $3, model = $4, classified_at = $5 WHERE id = $6")
                    .bind(out.sentiment.label.as_str())
                    .bind(out.sentiment.score as f64)
                    .bind(serde_json::to_string(&out.topics).unwrap_or_else(|_| "[]".into()))
                    .bind(model.to_string())
                    .bind(ms(at))
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
        .await
    }

    /// Removes citizens' personal data (author, and the body of mentions) older than `before`;
    /// titles, links and classification stay for statistics. Returns rows touched.
    pub async fn purge_personal_data(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            sqlx::query("UPDATE mentions SET author = NULL, text = '' WHERE first_seen_at < $1 AND (author IS NOT NULL OR text <> '')")
                .bind(ms(before))
                .execute(&self.pool)
                .await
                .map(|r| r.rows_affected())
        })
        .await
    }
}

const MENTION_COLUMNS: &str = "SELECT id, source, url, title, text, author, reach, published_at, first_seen_at, lang, lang_confidence, matched, \
     sentiment, sentiment_score, topics, model, story_id FROM mentions";

fn corrupt(what: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        message: e.to_string(),
    }
}

fn mention_from_row(r: &AnyRow) -> Result<Mention, StoreError> {
    let source: String = r.try_get(1)?;
    let matched: String = r.try_get(11)?;
    let sentiment: Option<String> = r.try_get(12)?;
    let score: Option<f64> = r.try_get(13)?;
    let topics: Option<String> = r.try_get(14)?;
    let sentiment = match sentiment {
        Some(s) => Some(Sentiment {
            label: SentimentLabel::parse(&s).ok_or_else(|| corrupt("sentiment", &s))?,
            score: score.unwrap_or(0.0) as f32,
        }),
        None => None,
    };
    let topics: Option<Vec<TopicScore>> = match topics {
        Some(t) => Some(serde_json::from_str(&t).map_err(|e| corrupt("topics", e))?),
        None => None,
    };
    Ok(Mention {
        id: r.try_get(0)?,
        sources: vec![source.clone()],
        source,
        url: r.try_get(2)?,
        title: r.try_get(3)?,
        text: r.try_get(4)?,
        author: r.try_get(5)?,
        reach: r.try_get(6)?,
        published_at: r.try_get::<Option<i64>, _>(7)?.map(from_ms),
        first_seen_at: from_ms(r.try_get(8)?),
        lang: r.try_get(9)?,
        lang_confidence: r.try_get(10)?,
        matched: serde_json::from_str(&matched).map_err(|e| corrupt("matched", e))?,
        sentiment,
        topics,
        model: r.try_get(15)?,
        story: r.try_get(16)?,
    })
}
