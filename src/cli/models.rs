//! `vigie models`: the transformer models of the bert backend.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{fail, load};
use crate::classify::models;

/// `vigie models` subcommands.
#[derive(clap::Subcommand)]
pub enum ModelsCmd {
    /// Every manifest, whether its files are here, and what is missing.
    List {
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Download a model's files from the hub (VIGIE_HUB_URL for a mirror), checking sha256,
    /// resuming interrupted downloads.
    Fetch {
        /// Model name, as in `vigie models list`.
        name: String,
        /// Fetch even when the manifest's revision is a branch or tag, not a commit.
        #[arg(long)]
        allow_unpinned: bool,
        /// Give up on the whole fetch after this long ("2h", "30m").
        #[arg(long, value_parser = humantime::parse_duration, default_value = "2h")]
        timeout: std::time::Duration,
        /// Largest file accepted, in bytes.
        #[arg(long, default_value_t = models::DEFAULT_MAX_FILE_BYTES)]
        max_file_bytes: u64,
    },
}

/// `vigie models ...` as the command line runs it: `--dir`, else the config's
/// `models_dir`, else ./models.
pub async fn run(
    config: Option<PathBuf>,
    dir: Option<PathBuf>,
    action: ModelsCmd,
) -> Result<(), ExitCode> {
    let dir = match (dir, config) {
        (Some(d), _) => d,
        (None, Some(c)) => {
            let cfg = load(&c)?;
            crate::classify::backend::models_dir(&cfg.classifier, &cfg.base_dir())
        }
        (None, None) => PathBuf::from("models"),
    };
    match action {
        ModelsCmd::List { json } => list(&dir, json),
        ModelsCmd::Fetch {
            name,
            allow_unpinned,
            timeout,
            max_file_bytes,
        } => {
            let opts = models::FetchOptions {
                allow_unpinned,
                timeout,
                max_file_bytes,
            };
            let got = models::fetch(&dir, &name, &models::hub_url(), &opts)
                .await
                .map_err(fail)?;
            println!(
                "{name}: {} file(s) downloaded into {}",
                got.len(),
                dir.join(&name).display()
            );
            Ok(())
        }
    }
}

/// `vigie models list`: one line (or JSON object) per manifest.
fn list(dir: &std::path::Path, json: bool) -> Result<(), ExitCode> {
    let rows = models::list(dir).map_err(fail)?;
    for r in rows {
        if json {
            println!("{}", serde_json::to_string(&r).map_err(|e| fail(e.into()))?);
        } else {
            println!(
                "{:<34} {:<10} {:<10} {:<55} {}",
                r.name,
                format!("{:?}", r.task).to_lowercase(),
                if r.installed { "installed" } else { "missing" },
                r.hub_id,
                r.languages.join(",")
            );
        }
    }
    Ok(())
}
