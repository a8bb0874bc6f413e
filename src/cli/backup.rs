//! `vigie backup` and `vigie restore`: a consistent copy of the SQLite store while the
//! daemon runs, and putting one back when it does not.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{fail, load_offline, say};
use crate::runtime::open_store;

/// `vigie backup`'s arguments.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Config file (TOML): its `[storage] url` is backed up.
    #[arg(long, env = "VIGIE_CONFIG")]
    pub config: PathBuf,
    /// The backup file to write (must not exist).
    #[arg(long)]
    pub to: PathBuf,
}

/// `vigie restore`'s arguments.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Config file (TOML): its `[storage] url` is replaced.
    #[arg(long, env = "VIGIE_CONFIG")]
    pub config: PathBuf,
    /// The backup file (made by `vigie backup`).
    #[arg(long)]
    pub from: PathBuf,
}

/// Writes the backup; exit code 2 (with what to do) on PostgreSQL or any failure.
pub async fn backup(a: BackupArgs) -> Result<(), ExitCode> {
    let cfg = load_offline(&a.config)?;
    let run = async {
        let store = open_store(&cfg).await?;
        let done = store.backup_to(&a.to).await;
        let count = store.count_mentions().await;
        store.close().await;
        done?;
        say(&format!(
            "backup written to {} ({} mentions)",
            a.to.display(),
            count?
        ));
        anyhow::Ok(())
    };
    run.await.map_err(fail)
}

/// Puts the backup in place of the store, unless a daemon holds it; then opens it
/// (applying any newer migrations) and says what it holds.
pub async fn restore(a: RestoreArgs) -> Result<(), ExitCode> {
    let cfg = load_offline(&a.config)?;
    let run = async {
        let store = open_store(&cfg).await?;
        let Some(db) = store.sqlite_file().map(|p| p.to_path_buf()) else {
            store.close().await;
            anyhow::bail!(
                "a PostgreSQL store is restored with pg_restore (pg_restore -d URL vigie.dump); see the README"
            );
        };
        store.close().await;
        let kept = crate::store::backup::restore_sqlite(&db, &a.from)?;
        let store = open_store(&cfg).await?;
        let count = store.count_mentions().await;
        store.close().await;
        say(&format!(
            "restored {} from {} ({} mentions){}",
            db.display(),
            a.from.display(),
            count?,
            kept.map(|k| format!("; the database it replaced is kept as {}", k.display()))
                .unwrap_or_default()
        ));
        anyhow::Ok(())
    };
    run.await.map_err(fail)
}
