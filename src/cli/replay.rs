//! `vigie replay`: recorded mentions through the daemon's stages on simulated time.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{fail, load_offline, say};
use crate::config::Config;
use crate::store::Store;

/// `vigie replay` as the command line runs it: signals on stdout, the summary on stderr.
pub async fn run(
    config: &Path,
    input: &Path,
    store: Option<&str>,
    step: std::time::Duration,
) -> Result<(), ExitCode> {
    let cfg = load_offline(config)?;
    let mut out = std::io::stdout().lock();
    let report = replay(&cfg, input, store, step, &mut out)
        .await
        .map_err(fail)?;
    say(&serde_json::to_string(&report).map_err(|e| fail(e.into()))?);
    Ok(())
}

/// `vigie replay`: recorded mentions through the pipeline on simulated time.
pub async fn replay(
    cfg: &Config,
    input: &std::path::Path,
    store_url: Option<&str>,
    step: std::time::Duration,
    out: &mut dyn Write,
) -> anyhow::Result<crate::runtime::replay::ReplayReport> {
    let (records, skipped) = crate::runtime::replay::read(input)?;
    let tmp = tempfile::tempdir()?;
    let store = match store_url {
        Some(u) => Store::open(u, &cfg.base_dir()).await?,
        None => Store::open("sqlite://replay.db", tmp.path()).await?,
    };
    let report = crate::runtime::replay::replay(cfg, records, skipped, &store, step, out).await?;
    store.close().await;
    Ok(report)
}
