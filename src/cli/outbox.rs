//! `vigie outbox`: the e-mails queued, sent and dead-lettered.

use crate::core::text::printable;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{fail, load};
use crate::config::Config;
use crate::runtime::open_store;

/// `vigie outbox` as the command line runs it: exit codes and stdout.
pub async fn run(config: &Path, state: Option<&str>, json: bool) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let mut out = std::io::stdout().lock();
    outbox(&cfg, state, json, &mut out).await.map_err(fail)
}

/// `vigie outbox`: the e-mails queued, sent and dead-lettered.
pub async fn outbox(
    cfg: &Config,
    state: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    for q in store.outbox(state, 10_000).await? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&q)?)?;
        } else {
            writeln!(
                out,
                "{:>6}  {:<8} {:<7} {:>2}  {:<30} {}",
                q.id,
                q.state,
                q.kind,
                q.attempts,
                crate::core::text::truncate(&printable(&q.to), 30),
                printable(&q.subject)
            )?;
        }
    }
    store.close().await;
    Ok(())
}
