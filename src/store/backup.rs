//! Backup and restore of an SQLite store: a consistent copy taken while the daemon
//! runs (`VACUUM INTO` reads one snapshot), and a restore that puts a copy in place of
//! the database only when no daemon holds it, keeping the database it replaces.

use std::path::{Path, PathBuf};

use super::{Backend, Store, StoreError};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

impl Store {
    /// The database file of an SQLite store (None on PostgreSQL).
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Writes a consistent copy of this SQLite store to `to` (which must not exist).
    pub async fn backup_to(&self, to: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Config(
                "a PostgreSQL store is backed up with pg_dump (pg_dump -Fc -f vigie.dump URL) \
                 and restored with pg_restore; see the README"
                    .into(),
            ));
        }
        if to.exists() {
            return Err(StoreError::Config(format!(
                "{} exists already; choose a new file (a backup never overwrites one)",
                to.display()
            )));
        }
        let to = std::path::absolute(to)
            .map_err(|e| StoreError::Config(format!("{}: {e}", to.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(to.to_string_lossy().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Puts the backup `from` in place of the SQLite database `db`, unless a daemon holds
/// it. The database it replaces is kept beside it (returned), never deleted.
pub fn restore_sqlite(db: &Path, from: &Path) -> Result<Option<PathBuf>, StoreError> {
    let mut head = [0u8; 16];
    std::fs::File::open(from)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .map_err(|e| StoreError::Config(format!("cannot read {}: {e}", from.display())))?;
    if head != SQLITE_MAGIC {
        return Err(StoreError::Config(format!(
            "{} is not an SQLite database (a vigie backup is one)",
            from.display()
        )));
    }
    let _lock = super::leader::lock_sqlite(db)?;
    let with = |suffix: &str| {
        let mut n = db.as_os_str().to_os_string();
        n.push(suffix);
        PathBuf::from(n)
    };
    let io = |e: std::io::Error| StoreError::Config(format!("restoring {}: {e}", db.display()));
    let tmp = with(".restoring");
    std::fs::copy(from, &tmp).map_err(io)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    let kept = if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = with(&format!(".before-restore-{stamp}"));
        std::fs::rename(db, &kept).map_err(io)?;
        Some(kept)
    } else {
        None
    };
    // The journal of the database replaced must not be replayed into the restored one.
    for j in ["-wal", "-shm"] {
        let p = with(j);
        if p.exists() {
            if let Some(k) = &kept {
                let mut n = k.as_os_str().to_os_string();
                n.push(j);
                std::fs::rename(&p, PathBuf::from(n)).map_err(io)?;
            } else {
                std::fs::remove_file(&p).map_err(io)?;
            }
        }
    }
    std::fs::rename(&tmp, db).map_err(io)?;
    Ok(kept)
}
