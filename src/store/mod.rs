//! Store: everything vigie keeps, in SQLite (default) or PostgreSQL.
//!
//! Both backends go through sqlx's `Any` driver with the same SQL (the dialects we use,
//! `$n` parameters, `ON CONFLICT`, `RETURNING`, partial indexes, are common to both);
//! what differs lives in `sqlite.rs` and `postgres.rs`, with a migrations folder each.

pub mod alerts;
pub mod answers;
pub mod backup;
pub mod bulk;
pub mod classifications;
pub mod config;
pub mod deletions;
pub mod erasures;
pub mod escalation_list;
mod escalation_rows;
pub mod escalations;
pub mod hosts;
pub mod knowledge;
pub mod leader;
mod legacy_keys;
pub mod mentions;
pub mod metrics;
pub mod outbox;
pub mod postgres;
pub mod questions;
pub mod sessions;
pub mod signals;
pub mod sources;
pub mod sqlite;
pub mod users;

pub use classifications::Pending;
pub use mentions::Ingested;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::{Any, AnyPool, Execute, QueryBuilder};

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
    /// Connects to the database named by `url` (creating an SQLite file if needed)
    /// without migrating it; relative SQLite paths are resolved against `base`.
    pub async fn connect(url: &str, base: &Path) -> Result<Store, StoreError> {
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

    /// Opens (creating if needed) and migrates the database named by `url`;
    /// relative SQLite paths are resolved against `base`.
    pub async fn open(url: &str, base: &Path) -> Result<Store, StoreError> {
        let store = Store::connect(url, base).await?;
        store.migrate().await?;
        store.hash_legacy_keys().await?;
        Ok(store)
    }

    /// The migrations this version of vigie knows, for its backend.
    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        }
    }

    /// Applies the migrations the database has not had yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let (backend, pool) = (self.backend, &self.pool);
        let migrator = self.migrator();
        // Several processes may open a new SQLite file at once (the daemon, the CLI): the
        // loser of the race fails in a rolled-back transaction, and a retry finds the
        // migration applied. PostgreSQL serialises migrations with an advisory lock.
        let mut attempt = 0;
        loop {
            match migrator.run(pool).await {
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
        Ok(())
    }

    /// The migrations known to this version, each with whether the database has it:
    /// (version, description, applied).
    pub async fn migrations(&self) -> Result<Vec<(i64, String, bool)>, StoreError> {
        let applied: Vec<i64> = match sqlx::query_scalar::<_, i64>(
            "SELECT version FROM _sqlx_migrations WHERE success",
        )
        .fetch_all(&self.pool)
        .await
        {
            Ok(v) => v,
            // A new database has no migrations table yet: nothing applied.
            Err(e)
                if e.to_string().contains("no such table")
                    || e.to_string().contains("does not exist") =>
            {
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        Ok(self
            .migrator()
            .iter()
            .map(|m| {
                (
                    m.version,
                    m.description.to_string(),
                    applied.contains(&m.version),
                )
            })
            .collect())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Takes the in-process write lock (SQLite only; PostgreSQL handles its own).
    async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    /// Closes the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
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
}

pub(crate) fn corrupt(what: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        message: e.to_string(),
    }
}

/// The SQL and arguments of `qb`, its `?` placeholders numbered `$1, $2, …`.
///
/// `QueryBuilder<Any>::push_bind` writes `?` whatever the backend, which PostgreSQL
/// refuses (sqlx issue #3000); the fragments we push hold no `?` of their own, so
/// numbering every one of them in order is safe.
pub(crate) fn numbered<'b>(
    qb: &'b mut QueryBuilder<'static, Any>,
) -> Result<(String, AnyArguments<'b>), StoreError> {
    let mut sql = String::with_capacity(qb.sql().len() + 16);
    let mut n = 0;
    for ch in qb.sql().chars() {
        if ch == '?' {
            n += 1;
            sql.push_str(&format!("${n}"));
        } else {
            sql.push(ch);
        }
    }
    let args = qb
        .build()
        .take_arguments()
        .map_err(|e| StoreError::Config(format!("cannot encode the query's arguments: {e}")))?
        .unwrap_or_default();
    Ok((sql, args))
}
