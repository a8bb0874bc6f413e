//! `vigie signals`: the signals raised.

use crate::core::text::printable;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::{fail, load};
use crate::config::Config;
use crate::runtime::open_store;

/// `vigie signals` as the command line runs it: exit codes and stdout.
pub async fn run(config: &Path, since: Option<DateTime<Utc>>, json: bool) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let mut out = std::io::stdout().lock();
    signals(&cfg, since, json, &mut out).await.map_err(fail)
}

/// `vigie signals`: signals raised, as JSON lines or a table.
pub async fn signals(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    for s in store.signals(since).await? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&s)?)?;
        } else {
            writeln!(
                out,
                "{:>5}  {}  {:<8} {:<18} {}",
                s.id,
                s.at.format("%Y-%m-%d %H:%M"),
                s.severity,
                s.kind,
                printable(&s.reason)
            )?;
        }
    }
    store.close().await;
    Ok(())
}
