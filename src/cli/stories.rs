//! `vigie stories`: near-duplicates, reposts and posts sharing a link, grouped.

use crate::core::text::printable;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::{fail, load};
use crate::config::Config;
use crate::runtime::open_store;

/// `vigie stories` as the command line runs it: exit codes and stdout.
pub async fn run(config: &Path, since: Option<DateTime<Utc>>, json: bool) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let mut out = std::io::stdout().lock();
    stories(&cfg, since, json, &mut out).await.map_err(fail)
}

/// One story as `vigie stories --json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct StoryLine {
    /// Story id (its first mention's id).
    pub id: i64,
    /// Title of its first mention.
    pub title: String,
    /// First and last mention.
    pub first_seen_at: DateTime<Utc>,
    /// Last mention.
    pub last_seen_at: DateTime<Utc>,
    /// Mentions in it.
    pub mention_count: usize,
    /// Languages, most frequent first.
    pub languages: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
    /// Mentions per sentiment label.
    pub sentiment: BTreeMap<String, usize>,
    /// Sum of the authors' reach, where known.
    pub reach: i64,
    /// Mention ids.
    pub mention_ids: Vec<i64>,
}

/// `vigie stories`: stories with mentions since `since`, largest first.
pub async fn stories(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let list = store.mentions(since, 1_000_000).await?;
    let mut by: BTreeMap<i64, Vec<&crate::core::model::Mention>> = BTreeMap::new();
    for m in &list {
        if let Some(s) = m.story {
            by.entry(s).or_default().push(m);
        }
    }
    let mut lines: Vec<StoryLine> = by
        .into_iter()
        .map(|(id, ms)| {
            let mut langs: BTreeMap<String, usize> = BTreeMap::new();
            let mut sentiment = BTreeMap::new();
            let mut sources: Vec<String> = Vec::new();
            for m in &ms {
                *langs.entry(m.lang.clone()).or_default() += 1;
                if let Some(s) = m.sentiment {
                    *sentiment.entry(s.label.as_str().to_string()).or_default() += 1;
                }
                for s in &m.sources {
                    if !sources.contains(s) {
                        sources.push(s.clone());
                    }
                }
            }
            let mut languages: Vec<(String, usize)> = langs.into_iter().collect();
            languages.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            let first = ms.iter().min_by_key(|m| (m.first_seen_at, m.id)).unwrap();
            StoryLine {
                id,
                title: first.title.clone(),
                first_seen_at: first.first_seen_at,
                last_seen_at: ms.iter().map(|m| m.first_seen_at).max().unwrap(),
                mention_count: ms.len(),
                languages: languages.into_iter().map(|(l, _)| l).collect(),
                sources,
                sentiment,
                reach: ms.iter().filter_map(|m| m.reach).sum(),
                mention_ids: ms.iter().map(|m| m.id).collect(),
            }
        })
        .collect();
    lines.sort_by_key(|l| (std::cmp::Reverse(l.mention_count), l.id));
    for l in &lines {
        if json {
            writeln!(out, "{}", serde_json::to_string(l)?)?;
        } else {
            writeln!(
                out,
                "{:>6}  {:>4} mentions  {:<8} {}",
                l.id,
                l.mention_count,
                l.languages.join(","),
                printable(&l.title.chars().take(80).collect::<String>())
            )?;
        }
    }
    store.close().await;
    Ok(())
}
