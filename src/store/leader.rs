//! Who runs what when several processes share one database.
//!
//! SQLite: one daemon per database file. The daemon holds an OS lock on a file beside the
//! database (`vigie.db.lock`) for as long as it runs; a second one is refused with a clear
//! message. The OS drops the lock when the process dies, even by `kill -9`.
//!
//! PostgreSQL: any number of instances. Ingest and the e-mail sender run everywhere
//! (ingest is idempotent by dedup key, the outbox is claimed with `FOR UPDATE SKIP
//! LOCKED`); the singleton stages (classify, detect, escalate, alerts, digest) run on the
//! one instance that holds a session advisory lock, on a connection of its own. When that
//! instance dies its connection closes, the lock is free, and another takes over.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use sqlx::Connection;

use super::{Backend, Store, StoreError};

/// The advisory lock key of the singleton stages ("vigie" in ASCII).
const LEADER_KEY: i64 = 0x0076_6967_6965;

/// Held by the one daemon of an SQLite database, until dropped.
#[derive(Debug)]
pub struct DaemonLock {
    _file: Option<File>,
}

/// Leadership of the singleton stages, until dropped or lost.
pub struct Leader {
    conn: Option<sqlx::AnyConnection>,
}

impl std::fmt::Debug for Leader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leader")
            .field("postgres", &self.conn.is_some())
            .finish()
    }
}

impl Leader {
    /// Whether leadership still holds (the lock's connection is alive).
    pub async fn alive(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(c) => c.ping().await.is_ok(),
        }
    }
}

impl Store {
    /// Takes the daemon's lock of an SQLite database (nothing to take on PostgreSQL).
    pub fn lock_daemon(&self) -> Result<DaemonLock, StoreError> {
        match &self.file {
            None => Ok(DaemonLock { _file: None }),
            Some(db) => lock_sqlite(db),
        }
    }

    /// Tries to become the leader of the singleton stages; None when another instance is.
    /// Always the leader on SQLite (one daemon per file).
    pub async fn try_lead(&self) -> Result<Option<Leader>, StoreError> {
        if self.backend == Backend::Sqlite {
            return Ok(Some(Leader { conn: None }));
        }
        // A connection of its own, outside the pool: the session lock lives as long as it.
        let conn = self.pool.acquire().await?;
        let mut conn = conn.detach();
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_KEY)
            .fetch_one(&mut conn)
            .await?;
        if got {
            Ok(Some(Leader { conn: Some(conn) }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }
}

/// Takes the daemon's lock of the SQLite database `db` (its `.lock` file), or says which
/// daemon holds it.
pub fn lock_sqlite(db: &std::path::Path) -> Result<DaemonLock, StoreError> {
    let mut name = db.as_os_str().to_os_string();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            StoreError::Config(format!("cannot open the lock file {}: {e}", path.display()))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(DaemonLock { _file: Some(file) }),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Config(format!(
            "another vigie daemon is already running on {} (it holds {}); stop it first, \
             or use PostgreSQL ([storage] url = \"postgres://...\") to run several instances",
            db.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Config(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}
