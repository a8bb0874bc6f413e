//! `vigie mentions`: the stored mentions.

use crate::core::text::printable;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::{fail, load};
use crate::config::Config;
use crate::runtime::open_store;

/// `vigie mentions` as the command line runs it: exit codes and stdout.
pub async fn run(
    config: &Path,
    since: Option<DateTime<Utc>>,
    limit: i64,
    json: bool,
) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let mut out = std::io::stdout().lock();
    mentions(&cfg, since, limit, json, &mut out)
        .await
        .map(|_| ())
        .map_err(fail)
}

/// `vigie mentions`: prints stored mentions, as JSON lines or a short table.
pub async fn mentions(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    limit: i64,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let store = open_store(cfg).await?;
    let list = store.mentions(since, limit).await?;
    for m in &list {
        if json {
            // Plus when it was written (event time).
            let mut v = serde_json::to_value(m)?;
            v["event_at"] = serde_json::to_value(m.event_at())?;
            writeln!(out, "{v}")?;
        } else {
            let sentiment = m.sentiment.map(|s| s.label.as_str()).unwrap_or("-");
            writeln!(
                out,
                "{:>6}  {}  {:<3} {:<8} {:<20} {}",
                m.id,
                m.first_seen_at.format("%Y-%m-%d %H:%M"),
                m.lang,
                sentiment,
                crate::core::text::truncate(&printable(&m.source), 20),
                crate::core::text::truncate(&printable(&m.title), 80)
            )?;
        }
    }
    store.close().await;
    Ok(list.len())
}
