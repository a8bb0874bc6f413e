//! `vigie migrate`: the database migrations this version knows, which the store has had,
//! and applying the others (the daemon also applies them when it starts).

use std::path::PathBuf;
use std::process::ExitCode;

use super::{fail, load_offline, say};
use crate::store::Store;

/// `vigie migrate`'s arguments.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Config file (TOML): its `[storage] url` is migrated.
    #[arg(long, env = "VIGIE_CONFIG")]
    pub config: PathBuf,
    /// Only list them; exit code 1 when some are pending.
    #[arg(long)]
    pub check: bool,
}

/// Lists the migrations (applied or pending), then applies the pending ones unless
/// `--check`.
pub async fn run(a: MigrateArgs) -> Result<(), ExitCode> {
    let cfg = load_offline(&a.config)?;
    let run = async {
        let store = Store::connect(&cfg.storage.url, &cfg.base_dir()).await?;
        let list = store.migrations().await?;
        let pending: Vec<_> = list.iter().filter(|m| !m.2).collect();
        for (version, description, applied) in &list {
            println!(
                "{version:04} {description}: {}",
                if *applied { "applied" } else { "pending" }
            );
        }
        if a.check || pending.is_empty() {
            store.close().await;
            say(&format!("{} pending migration(s)", pending.len()));
            return anyhow::Ok(!pending.is_empty());
        }
        store.migrate().await?;
        store.close().await;
        say(&format!("applied {} migration(s)", pending.len()));
        anyhow::Ok(false)
    };
    match run.await {
        Ok(true) if a.check => Err(ExitCode::from(1)),
        Ok(_) => Ok(()),
        Err(e) => Err(fail(e)),
    }
}
